package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"civicmap/db/dbtest"
)

// persistedURL is the GET of a persisted query by its hash, with the query
// itself when query is not "".
func persistedURL(hash, query string, vars map[string]any, extra ...string) string {
	v := url.Values{}
	v.Set("extensions", `{"persistedQuery":{"version":1,"sha256Hash":"`+hash+`"}}`)
	if query != "" {
		v.Set("query", query)
	}
	if vars != nil {
		b, _ := json.Marshal(vars)
		v.Set("variables", string(b))
	}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return "/graphql?" + v.Encode()
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestPersistedQueries: a query registered once runs as a GET of its hash,
// which is cached by the data version as the map layers are.
func TestPersistedQueries(t *testing.T) {
	pool := dbtest.NewDB(t)
	h := newHandler(t, pool)
	const query = `query($lon: Float!, $lat: Float!) { nearestPlatforms(lon: $lon, lat: $lat, limit: 2) { distanceMetres platform { name } } }`
	hash := sha(query)
	vars := map[string]any{"lon": 117.62, "lat": 26.26}
	short := persistedURL(hash, "", vars)

	rec := get(t, h, short)
	if code := firstCode(t, rec); code != "PERSISTED_QUERY_NOT_FOUND" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("an unknown hash: code %q, Cache-Control %q; want PERSISTED_QUERY_NOT_FOUND, no-store", code, rec.Header().Get("Cache-Control"))
	}
	first := get(t, h, persistedURL(hash, query, vars))
	if code := firstCode(t, first); first.Code != http.StatusOK || code != "" {
		t.Fatalf("query with its hash: status %d, code %q", first.Code, code)
	}
	tag := first.Header().Get("ETag")
	if !strings.HasPrefix(tag, `W/"`) || first.Header().Get("Cache-Control") != "no-cache" {
		t.Fatalf("query with its hash: ETag %q, Cache-Control %q; want the data version, no-cache", tag, first.Header().Get("Cache-Control"))
	}

	rec = get(t, h, short)
	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), first.Body.Bytes()) || rec.Header().Get("ETag") != tag {
		t.Fatalf("by hash: status %d, ETag %q, body %s; want the first answer", rec.Code, rec.Header().Get("ETag"), rec.Body)
	}
	if rec := get(t, h, short, "If-None-Match", tag); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Fatalf("If-None-Match of the current version: status %d, %d bytes; want 304", rec.Code, rec.Body.Len())
	}
	version := strings.TrimSuffix(strings.TrimPrefix(tag, `W/"`), `"`)
	if cc := get(t, h, persistedURL(hash, "", vars, "v", version)).Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("with ?v= of the current version: Cache-Control %q", cc)
	}
	if rec := get(t, h, short, "Authorization", "Bearer not-a-key"); rec.Header().Get("ETag") != "" {
		t.Errorf("with an Authorization header: ETag %q; want none", rec.Header().Get("ETag"))
	}

	// POST takes the hash too, and is never cached.
	body := `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + hash + `"}},"variables":{"lon":117.62,"lat":26.26}}`
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	post := httptest.NewRecorder()
	h.ServeHTTP(post, req)
	if !bytes.Equal(post.Body.Bytes(), first.Body.Bytes()) || post.Header().Get("ETag") != "" {
		t.Errorf("POST by hash: ETag %q, body %s; want no ETag and the first answer", post.Header().Get("ETag"), post.Body)
	}

	if _, err := pool.Exec(t.Context(), `UPDATE platform SET name = name || '（改）' WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	if rec := get(t, h, short, "If-None-Match", tag); rec.Code != http.StatusOK || rec.Header().Get("ETag") == tag {
		t.Errorf("after a write, If-None-Match of the old version: status %d, ETag %q; want 200 and a new ETag", rec.Code, rec.Header().Get("ETag"))
	}
}

func TestPersistedQueryRefused(t *testing.T) {
	h := newHandler(t, nil)
	cases := []struct{ name, url, code string }{
		{"hash of another query", persistedURL(sha("{ __typename }"), "{ sectors { totalCount } }", nil), "BAD_USER_INPUT"},
		{"no query and no hash", "/graphql?variables=%7B%7D", "BAD_USER_INPUT"},
		{"a mutation by GET", persistedURL(sha("mutation { deletePlatform(id: \"x\") { id } }"), "mutation { deletePlatform(id: \"x\") { id } }", nil), "BAD_USER_INPUT"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := get(t, h, c.url)
			if code := firstCode(t, rec); code != c.code || rec.Header().Get("ETag") != "" {
				t.Errorf("code %q, ETag %q; want %s and no ETag: %s", code, rec.Header().Get("ETag"), c.code, rec.Body)
			}
		})
	}
}

// firstCode is the extensions.code of a response's first error, "" for none.
func firstCode(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var r result
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("status %d: %v: %s", rec.Code, err, rec.Body)
	}
	return r.code()
}
