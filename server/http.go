package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"civicmap/errcode"
)

// GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/) asks a
// few things of /graphql that gqlgen's transports do differently. The audit in
// cmd/civicmap/audit_test.go checks them:
//
//   - A request that is not a well-formed GraphQL-over-HTTP request (no JSON
//     body, no query, a parameter of the wrong type) gets 400. gqlgen answers a
//     missing query with 422 and its own body errors without extensions.code.
//   - A request error (parse, validation, variable coercion, query limits: the
//     operation never ran) gets 200 with application/json, so older clients
//     read the body, and 400 with application/graphql-response+json. gqlgen
//     gives 422 and 400 for some and 200 for others.
//   - A request error's body has no "data" entry (the GraphQL spec: data is
//     absent when execution did not start). gqlgen writes "data": null.

// maxBody bounds a POST body: the longest legitimate query is a few KB, and
// parsing and the limits' pre-check cost time in proportion to the size.
const maxBody = 256 << 10

const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// serveGraphQL wraps gqlgen's handler with the checks and status codes above.
func serveGraphQL(gql http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodPost:
		case http.MethodOptions:
			gql.ServeHTTP(w, r)
			return
		default:
			w.Header().Set("Allow", "GET, POST, OPTIONS")
			writeRequestError(w, r, http.StatusMethodNotAllowed, "use POST (or GET for queries) on /graphql")
			return
		}
		if status, msg := checkRequest(r); status != 0 {
			if status == http.StatusMethodNotAllowed {
				w.Header().Set("Allow", "POST")
			}
			writeRequestError(w, r, status, msg)
			return
		}
		st := &requestState{}
		cw := &conformingWriter{ResponseWriter: w, state: st, status: http.StatusOK}
		gql.ServeHTTP(cw, r.WithContext(context.WithValue(r.Context(), requestStateKey{}, st)))
		cw.finish()
	})
}

// checkRequest returns a status and a message when r is not a well-formed
// GraphQL-over-HTTP request, and 0 when gqlgen may have it. It leaves a POST
// body readable again.
func checkRequest(r *http.Request) (int, string) {
	var p struct {
		Query, OperationName, Variables, Extensions json.RawMessage
	}
	if r.Method == http.MethodGet {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return http.StatusBadRequest, "the URL's query string cannot be parsed: " + err.Error()
		}
		if q.Get("query") == "" && !persisted(json.RawMessage(q.Get("extensions"))) {
			return http.StatusBadRequest, "the request has no query: pass the GraphQL document in the query parameter"
		}
		for _, name := range []string{"variables", "extensions"} {
			if v := q.Get(name); v != "" && (!json.Valid([]byte(v)) || !isObjectOrNull(json.RawMessage(v))) {
				return http.StatusBadRequest, "the " + name + " parameter must be a JSON object"
			}
		}
		if isMutation(q.Get("query"), q.Get("operationName")) {
			return http.StatusMethodNotAllowed, "mutations need POST: GET is for queries only, so that a link or a prefetch can never write"
		}
		return 0, ""
	}

	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != mediaJSON {
		return http.StatusUnsupportedMediaType, "send the request body as JSON with Content-Type: application/json"
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is over %d bytes (%d KiB): send a shorter query and pass values as variables; "+
			"import a bigger file with `civicmap import FILE`, or in parts", maxBody, maxBody>>10)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return http.StatusRequestTimeout, "the request body did not arrive in time: send it whole, without pauses"
	}
	if err != nil {
		return http.StatusBadRequest, "the request body cannot be read"
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	// Unmarshal, not gqlgen's streaming decoder, so trailing garbage is an error
	// too; the message does not echo the body back.
	if err := json.Unmarshal(body, &p); err != nil {
		return http.StatusBadRequest, "the request body must be a JSON object with a query string: " + jsonProblem(err)
	}
	var query string
	if (json.Unmarshal(p.Query, &query) != nil || query == "") && !persisted(p.Extensions) {
		return http.StatusBadRequest, "the request has no query: send {\"query\": \"…\"} with the GraphQL document as a string"
	}
	if !isStringOrNull(p.OperationName) {
		return http.StatusBadRequest, "operationName must be a string"
	}
	if !isObjectOrNull(p.Variables) {
		return http.StatusBadRequest, "variables must be a JSON object"
	}
	if !isObjectOrNull(p.Extensions) {
		return http.StatusBadRequest, "extensions must be a JSON object"
	}
	r.Body = &checkedBody{Reader: bytes.NewReader(body), query: query, operationName: p.OperationName,
		variables: p.Variables, extensions: p.Extensions}
	return 0, ""
}

// checkedBody is a POST body that checkRequest has read and split into its
// members: the transport takes them from it instead of parsing the body
// again, which was a twentieth of a small query's work (pprof).
type checkedBody struct {
	*bytes.Reader
	query                                string
	operationName, variables, extensions json.RawMessage
}

func (*checkedBody) Close() error { return nil }

// params returns the request's parameters as gqlgen's POST transport
// decodes them: numbers in the variables kept exact (json.Number).
func (b *checkedBody) params(p *graphql.RawParams) error {
	p.Query = b.query
	if len(b.operationName) > 0 {
		if err := json.Unmarshal(b.operationName, &p.OperationName); err != nil {
			return err
		}
	}
	for _, m := range []struct {
		raw json.RawMessage
		to  *map[string]any
	}{{b.variables, &p.Variables}, {b.extensions, &p.Extensions}} {
		if len(m.raw) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(m.raw))
		dec.UseNumber()
		if err := dec.Decode(m.to); err != nil {
			return err
		}
	}
	return nil
}

// persisted reports whether a request's extensions, valid JSON or empty,
// name a persisted query, which may then stand in for the query.
func persisted(extensions json.RawMessage) bool {
	var ext struct {
		PersistedQuery json.RawMessage `json:"persistedQuery"`
	}
	return len(extensions) > 0 && json.Unmarshal(extensions, &ext) == nil && len(ext.PersistedQuery) > 0
}

// isMutation reports whether the operation a GET request selects is a
// mutation. A document that does not parse, or selects no operation, is left
// to gqlgen to report.
func isMutation(query, operationName string) bool {
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return false
	}
	var op *ast.OperationDefinition
	if operationName != "" {
		op = doc.Operations.ForName(operationName)
	} else if len(doc.Operations) == 1 {
		op = doc.Operations[0]
	}
	return op != nil && op.Operation == ast.Mutation
}

// jsonProblem describes a decoding error without quoting the request.
func jsonProblem(err error) string {
	if _, ok := err.(*json.UnmarshalTypeError); ok {
		return "it is another JSON value"
	}
	return "it is not valid JSON"
}

// isObjectOrNull reports whether raw, valid JSON, is an object, null or absent.
func isObjectOrNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || raw[0] == '{' || string(raw) == "null"
}

func isStringOrNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || raw[0] == '"' || string(raw) == "null"
}

// writeRequestError answers a request that never reached gqlgen, in the media
// type the client asked for and with extensions.code BAD_USER_INPUT like every
// other error.
func writeRequestError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	e := &gqlerror.Error{Message: msg}
	setCode(e, errcode.BadUserInput)
	if o := outcomeOf(r.Context()); o != nil {
		o.noteError(string(errcode.BadUserInput))
	}
	w.Header().Set("Content-Type", responseMediaType(r)+"; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(struct {
		Errors gqlerror.List `json:"errors"`
	}{gqlerror.List{e}})
}

// responseMediaType picks application/graphql-response+json when the client
// lists it before application/json, and application/json otherwise (as gqlgen
// does for */* and a missing Accept).
func responseMediaType(r *http.Request) string {
	for part := range strings.SplitSeq(r.Header.Get("Accept"), ",") {
		switch mt, _, _ := mime.ParseMediaType(strings.TrimSpace(part)); mt {
		case mediaJSON:
			return mediaJSON
		case mediaGraphQLResponse:
			return mediaGraphQLResponse
		}
	}
	return mediaJSON
}

// requestState is what the GraphQL layer tells serveGraphQL about a response.
type requestState struct {
	// requestError is set when the operation never ran: the response is only
	// errors from parsing, validation, variable coercion or the limits.
	requestError bool
}

type requestStateKey struct{}

// markRequestErrors notes a response without data: gqlgen builds one only
// when it refuses the request before execution (DispatchError). An operation
// that ran has data, even if it is null.
func markRequestErrors(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if st, _ := ctx.Value(requestStateKey{}).(*requestState); st != nil && resp != nil && resp.Data == nil && len(resp.Errors) > 0 {
		st.requestError = true
	}
	return resp
}

// conformingWriter holds back the status until the body is written, so that
// a request error's status and body can follow the spec; other responses pass
// through unbuffered.
type conformingWriter struct {
	http.ResponseWriter
	state       *requestState
	status      int
	wroteHeader bool
	buf         []byte
}

func (w *conformingWriter) WriteHeader(status int) {
	if !w.wroteHeader {
		w.status = status
	}
}

func (w *conformingWriter) Write(b []byte) (int, error) {
	if w.state.requestError {
		w.buf = append(w.buf, b...)
		return len(b), nil
	}
	w.sendHeader()
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *conformingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *conformingWriter) sendHeader() {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	if w.state.requestError {
		mt, _, _ := mime.ParseMediaType(w.Header().Get("Content-Type"))
		if mt == mediaGraphQLResponse {
			w.status = http.StatusBadRequest
		} else {
			w.status = http.StatusOK
		}
	}
	w.ResponseWriter.WriteHeader(w.status)
}

// finish writes a held-back request error without its "data": null.
func (w *conformingWriter) finish() {
	if !w.state.requestError {
		w.sendHeader()
		return
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(w.buf, &body); err == nil {
		delete(body, "data")
		if b, err := json.Marshal(body); err == nil {
			w.buf = b
		}
	}
	w.sendHeader()
	w.ResponseWriter.Write(w.buf)
}
