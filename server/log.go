package server

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// outcome is what the handlers tell the request log and the metrics about a
// request.
type outcome struct {
	id string // the request id (requestid.go)
	// mu guards operation, errors, opType and field: the operations of a
	// WebSocket note them on its connection's outcome at once, and may still
	// be noting when the connection's line is written.
	mu        sync.Mutex
	operation string
	errors    []string // extensions.code of each error; of a WebSocket, each code once
	// kind, opType, field, pattern and rejected are the metrics' labels
	// (requestmetrics.go): opType and field are those of a GraphQL
	// operation that parsed and validated, "" otherwise; pattern is the
	// route's (notePattern).
	kind                   requestKind
	opType, field, pattern string
	rejected               bool
}

type outcomeKey struct{}

// outcomeOf is the outcome of ctx's request, nil outside one.
func outcomeOf(ctx context.Context) *outcome {
	o, _ := ctx.Value(outcomeKey{}).(*outcome)
	return o
}

// noteOutcome records the operation and error codes of a GraphQL response
// for the request log and the metrics.
func noteOutcome(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp != nil {
		note(ctx, resp)
	}
	return resp
}

// note records resp's operation and error codes in ctx's outcome: by
// noteOutcome, and by the responses made where gqlgen's response
// middleware does not run (timeoutResponse).
func note(ctx context.Context, resp *graphql.Response) {
	o := outcomeOf(ctx)
	if o == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if graphql.HasOperationContext(ctx) {
		// OperationName is only what the request's operationName field says;
		// most clients leave it out and name the operation in the query.
		oc := graphql.GetOperationContext(ctx)
		o.operation = oc.OperationName
		if oc.Operation != nil {
			if o.operation == "" {
				o.operation = oc.Operation.Name
			}
			// gqlgen selects the operation only once the document validated.
			o.opType, o.field = string(oc.Operation.Operation), rootField(oc.Operation.SelectionSet)
		}
	}
	for _, e := range resp.Errors {
		code, _ := e.Extensions["code"].(string)
		o.addError(code)
	}
}

// noteError records an error's code in o.
func (o *outcome) noteError(code string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.addError(code)
}

// addError records code; o.mu is held. A WebSocket lives as long as its
// client likes: its outcome keeps each code once, so that it does not grow
// with every failed operation.
func (o *outcome) addError(code string) {
	if o.kind == kindWebsocket && slices.Contains(o.errors, code) {
		return
	}
	o.errors = append(o.errors, code)
}

// failed reports whether an error has been noted.
func (o *outcome) failed() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.errors) > 0
}

// noted returns the operation and the error codes noted so far.
func (o *outcome) noted() (operation string, errors []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.operation, slices.Clone(o.errors)
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

// logRequests logs one line per request: method, path, status, duration, the
// database that served it when there are replicas, and for GraphQL the
// operation name and error codes; and counts it in the
// metrics, even when its handler panics (an export cut off), which it does
// not log.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		o := &outcome{id: newRequestID()}
		w.Header().Set(requestIDHeader, o.id)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		finished := false
		defer func() { s.metrics.observe(o, sw.status, time.Since(start), finished) }()
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), outcomeKey{}, o)))
		finished = true
		// Attrs, not key-value pairs: each pair was boxed and checked again,
		// and this line is written for every request.
		attrs := []slog.Attr{slog.String("request_id", o.id), slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", sw.status), slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000)}
		if r.URL.Path == "/graphql" {
			operation, codes := o.noted()
			result := "ok"
			if len(codes) > 0 {
				result = "error"
			}
			attrs = append(attrs, slog.String("operation", operation), slog.String("outcome", result), slog.Any("error_codes", codes))
		}
		// With read replicas, which database answered (route.go's header).
		if by := sw.Header().Get(servedByHeader); by != "" {
			attrs = append(attrs, slog.String("served_by", by))
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}
