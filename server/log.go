package server

import (
	"context"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// outcome is what the GraphQL layer tells the request log about a request.
type outcome struct {
	id        string // the request id (requestid.go)
	operation string
	errors    []string // extensions.code of each error
}

type outcomeKey struct{}

// noteOutcome records the operation name and error codes of a GraphQL response
// for the request log.
func noteOutcome(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	o, _ := ctx.Value(outcomeKey{}).(*outcome)
	if o == nil || resp == nil {
		return resp
	}
	if graphql.HasOperationContext(ctx) {
		// OperationName is only what the request's operationName field says;
		// most clients leave it out and name the operation in the query.
		oc := graphql.GetOperationContext(ctx)
		o.operation = oc.OperationName
		if o.operation == "" && oc.Operation != nil {
			o.operation = oc.Operation.Name
		}
	}
	for _, e := range resp.Errors {
		code, _ := e.Extensions["code"].(string)
		o.errors = append(o.errors, code)
	}
	return resp
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// Unwrap lets a WebSocket upgrade reach the connection to hijack.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs one line per request: method, path, status, duration, and
// for GraphQL the operation name and error codes.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		o := &outcome{id: newRequestID()}
		w.Header().Set(requestIDHeader, o.id)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), outcomeKey{}, o)))
		attrs := []any{"request_id", o.id, "method", r.Method, "path", r.URL.Path, "status", sw.status,
			"duration_ms", float64(time.Since(start).Microseconds()) / 1000}
		if r.URL.Path == "/graphql" {
			result := "ok"
			if len(o.errors) > 0 {
				result = "error"
			}
			attrs = append(attrs, "operation", o.operation, "outcome", result, "error_codes", o.errors)
		}
		s.log.InfoContext(r.Context(), "request", attrs...)
	})
}
