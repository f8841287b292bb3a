package server

import (
	"errors"
	"net/http/httptest"
	"net/url"
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
