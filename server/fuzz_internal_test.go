package server

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"civicmap/db"
	"civicmap/errcode"
)

// FuzzTileCoords: any z/x/y path is a tile in range or BAD_USER_INPUT /
// NOT_FOUND saying why; it never panics.
func FuzzTileCoords(f *testing.F) {
	f.Add("8", "213", "109.mvt")
	f.Add("23", "0", "0.mvt")
	f.Add("+1", "-0", "0x1.mvt")
	f.Add("63", "9223372036854775807", "1.mvt")
	f.Fuzz(func(t *testing.T, z, x, y string) {
		r := httptest.NewRequest("GET", "/tiles/0/0/0.mvt", nil)
		r.SetPathValue("z", z)
		r.SetPathValue("x", x)
		r.SetPathValue("y", y)
		zi, xi, yi, err := tileCoords(r)
		if err != nil {
			wantCode(t, err, errcode.BadUserInput, errcode.NotFound)
			return
		}
		if zi < 0 || zi > 22 || xi < 0 || yi < 0 || xi >= 1<<zi || yi >= 1<<zi {
			t.Fatalf("%s/%s/%s accepted as %d/%d/%d", z, x, y, zi, xi, yi)
		}
	})
}

// FuzzKindsParam: any query string gives kinds of the schema or
// BAD_USER_INPUT; it never panics.
func FuzzKindsParam(f *testing.F) {
	f.Add("kinds=WORKSTATION,SECTOR_HALL")
	f.Add("kinds=workstation")
	f.Add("kinds=&kinds=,,")
	f.Add("kinds=%zz")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		kinds, err := kindsParam(q)
		if err != nil {
			wantCode(t, err, errcode.BadUserInput)
			return
		}
		for _, k := range kinds {
			if k != "LIAISON_GROUP" && k != "WORKSTATION" && k != "SECTOR_HALL" {
				t.Fatalf("%q gave kind %q", raw, k)
			}
		}
	})
}

// FuzzItemsParams: any query string gives a page, a box and a datetime that
// the items accept, or BAD_USER_INPUT; it never panics.
func FuzzItemsParams(f *testing.F) {
	f.Add("limit=10&offset=20&bbox=117.2,25.8,117.6,26.1&datetime=2024-04-06")
	f.Add("limit=0&bbox=118,26,117,27&datetime=../..")
	f.Add("limit=99999999999999999999&bbox=1,2,3,4,5,6&datetime=2024-04-06T00:00:00Z/..")
	f.Add("offset=+1&bbox=NaN,1,2,3&datetime=a/b/c")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		page, err := pageParams(q)
		if err == nil {
			if page.Limit < 1 || page.Limit > db.MaxFeaturePage || page.Offset < 0 {
				t.Fatalf("%q gave page %+v", raw, page)
			}
			var box *db.BBox
			if box, err = bboxParam(q); err == nil && box != nil && db.CheckBBox("bbox", *box) != nil {
				t.Fatalf("%q gave box %+v", raw, *box)
			}
		}
		if err == nil {
			err = checkDatetime(q)
		}
		if err != nil {
			wantCode(t, err, errcode.BadUserInput)
		}
	})
}

func wantCode(t *testing.T, err error, codes ...errcode.Code) {
	t.Helper()
	var e *errcode.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v has no code", err)
	}
	for _, c := range codes {
		if e.Code == c {
			return
		}
	}
	t.Fatalf("error %v: code %s, want one of %v", err, e.Code, codes)
}

// FuzzSimplifyParam: any query string gives a tolerance that GraphQL's
// simplifyMetres would take too, a decimal number from 0 to
// db.MaxSimplifyMetres, or BAD_USER_INPUT; it never panics.
func FuzzSimplifyParam(f *testing.F) {
	f.Add("simplify=100")
	f.Add("simplify=0x1p3")
	f.Add("simplify=+5")
	f.Add("simplify=NaN")
	f.Add("simplify=1e-400&simplify=7")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		metres, err := simplifyParam(q)
		if err != nil {
			wantCode(t, err, errcode.BadUserInput)
			return
		}
		v, given := param(q, "simplify")
		var fromJSON float64
		if given && (json.Unmarshal([]byte(v), &fromJSON) != nil || fromJSON != metres) {
			t.Fatalf("%q accepted as %v, which JSON reads as %v", v, metres, fromJSON)
		}
		if math.IsNaN(metres) || metres < 0 || metres > db.MaxSimplifyMetres {
			t.Fatalf("%q accepted as %v", raw, metres)
		}
	})
}

// FuzzCountyParam: any query string gives a 6-digit county code, nothing, or
// BAD_USER_INPUT; it never panics.
func FuzzCountyParam(f *testing.F) {
	f.Add("county=350481")
	f.Add("county=３５０４８１")
	f.Add("county=350481%0A")
	f.Add("county=&county=350481")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		code, err := countyCodeParam(q)
		if err != nil {
			wantCode(t, err, errcode.BadUserInput)
			return
		}
		if _, given := q["county"]; given != (code != nil) {
			t.Fatalf("%q: county given %v, read %v", raw, given, code)
		}
		if code != nil && !regexp.MustCompile(`^[0-9]{6}$`).MatchString(*code) {
			t.Fatalf("%q accepted as county %q", raw, *code)
		}
	})
}

// FuzzGraphQLRequest: any GET query string or POST body is a request gqlgen
// may have, or a 4xx saying why; it never panics.
func FuzzGraphQLRequest(f *testing.F) {
	f.Add("query=%7B__typename%7D&variables=%7B%7D", "")
	f.Add("query=mutation%7Bx%7D", `{"query": "{ __typename }", "variables": null}`)
	f.Add("variables=%5B%5D&query=x", `{"query": 1}`)
	f.Add("extensions=%7B%22persistedQuery%22%3A%7B%7D%7D", `{"query": "x"} trailing`)
	f.Fuzz(func(t *testing.T, rawQuery, body string) {
		get := httptest.NewRequest(http.MethodGet, "/graphql", nil)
		get.URL.RawQuery = rawQuery
		post := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		post.Header.Set("Content-Type", mediaJSON)
		for _, r := range []*http.Request{get, post} {
			status, msg := checkRequest(r)
			if status != 0 && (status < 400 || status > 499 || msg == "") {
				t.Fatalf("%s %q %q: status %d %q", r.Method, rawQuery, body, status, msg)
			}
		}
	})
}
