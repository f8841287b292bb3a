package server

import (
	"encoding/json"
	"net/http"
	"slices"
)

// The API definition (/api) is OpenAPI 3.0, made from the collections'
// descriptions, so it lists exactly the parameters their items take. GDAL
// reads it to learn which filters it may send to the server.

// ogcOpenAPI answers /api, the OpenAPI 3.0 definition of the OGC API.
func (s *Server) ogcOpenAPI(w http.ResponseWriter, r *http.Request) {
	if err := checkFormat(r.URL.Query(), "json"); err != nil {
		s.writeError(w, r, "ogc api definition", err)
		return
	}
	body, err := json.Marshal(openAPIDoc(baseURL(r)))
	if err != nil {
		s.writeError(w, r, "ogc api definition", err)
		return
	}
	serveBody(w, r, mediaOpenAPI, body)
}

// openAPIDoc is the API definition of the server at base.
func openAPIDoc(base string) map[string]any {
	paths := map[string]any{
		"/":            openAPIGet("getLandingPage", "The landing page: links to the definition, the conformance classes and the collections.", nil, mediaJSON),
		"/conformance": openAPIGet("getConformance", "The conformance classes implemented.", nil, mediaJSON),
		"/api":         openAPIGet("getAPI", "This API definition.", nil, mediaOpenAPI),
		"/collections": openAPIGet("getCollections", "The collections: counties, townships, platforms, coverage.", nil, mediaJSON),
	}
	for i := range ogcCollectionList {
		c := &ogcCollectionList[i]
		at := "/collections/" + c.id
		paths[at] = openAPIGet("describe_"+c.id, "The description of "+c.title+".", nil, mediaJSON)
		paths[at+"/items"] = openAPIGet("get_"+c.id, c.title+": "+c.description, c.openAPIParams(false), mediaGeoJSON)
		paths[at+"/items/{featureId}"] = openAPIGet("get_"+c.id+"_feature", "One feature of "+c.title+".",
			append([]map[string]any{{"name": "featureId", "in": "path", "required": true, "schema": map[string]any{"type": "string"}}},
				c.openAPIParams(true)...), mediaGeoJSON)
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "civicmap OGC API – Features",
			"version":     "1.0.0",
			"description": "Sanming's counties, township cells, CPPCC platforms and coverage. Data CC BY 4.0 (Vonng/adcode, data © Amap) and NBS codes.",
			"license":     map[string]any{"name": "CC BY 4.0 (data)", "url": "https://creativecommons.org/licenses/by/4.0/"},
		},
		"servers": []map[string]any{{"url": base}},
		"paths":   paths,
	}
}

// openAPIParams are the query parameters of the collection's items, or of
// one item.
func (c *ogcCollection) openAPIParams(one bool) []map[string]any {
	names := c.itemParamNames(one)
	var out []map[string]any
	for _, p := range slices.Concat(itemParams, c.params) {
		if slices.Contains(names, p.name) {
			out = append(out, map[string]any{"name": p.name, "in": "query", "required": false,
				"description": p.description, "schema": p.schema, "style": "form", "explode": false})
		}
	}
	return out
}

// openAPIGet is a GET operation answering mediaType, with every status the
// server may answer it with.
func openAPIGet(id, summary string, params []map[string]any, mediaType string) map[string]any {
	problem := func(when string) map[string]any {
		return map[string]any{"description": when + ": a JSON object, error (a message naming the parameter) and code",
			"content": map[string]any{mediaJSON: map[string]any{"schema": map[string]any{"type": "object"}}}}
	}
	body := func(what string) map[string]any {
		return map[string]any{"description": what, "content": map[string]any{mediaType: map[string]any{"schema": map[string]any{"type": "object"}}}}
	}
	op := map[string]any{
		"operationId": id,
		"summary":     summary,
		"responses": map[string]any{
			"200":     body("OK"),
			"206":     body("the bytes of a Range request"),
			"304":     map[string]any{"description": "not modified: If-None-Match names the current data version"},
			"400":     problem("a bad parameter"),
			"404":     problem("no such collection, feature or county"),
			"503":     problem("the database is away or the request took too long (TIMEOUT)"),
			"default": problem("an unexpected error (500)"),
		},
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	return map[string]any{"get": op}
}
