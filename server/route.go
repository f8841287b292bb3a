package server

import (
	"context"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"civicmap/db"
)

// Reads go to the database's replicas, writes to the primary (db/route.go).
// A client that wrote gets the WAL position of its write in readAfterHeader;
// sending it back on a read makes that read wait for nothing and see the
// write: it is served by a replica that has replayed that far, or else by
// the primary. servedByHeader names the database that served a request, when
// there are replicas.
const (
	readAfterHeader = "X-Civicmap-Read-After"
	servedByHeader  = "X-Civicmap-Served-By"
)

// route gives each request a route to the database: read-only for GET and
// HEAD (tiles, GeoJSON, OGC API, exports, GraphQL queries by GET), to the
// primary otherwise until the GraphQL operation shows it is a query
// (readsOnReplicas). A bad read-after token is answered 400, BAD_USER_INPUT.
// WebSockets get no route of their own: each operation on one gets its own.
func (s *Server) route(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isWebsocket(r) {
			next.ServeHTTP(w, r)
			return
		}
		var after db.LSN
		if h := r.Header.Get(readAfterHeader); h != "" {
			var err error
			if after, err = db.ParseLSN(h); err != nil {
				s.badReadAfter(w, r, err)
				return
			}
		}
		ctx := db.WithRoute(r.Context(), after)
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.URL.Path != "/readyz" && r.URL.Path != "/healthz" {
			ctx = s.db.ReadOnly(ctx)
		}
		next.ServeHTTP(&routeWriter{ResponseWriter: w, ctx: ctx, db: s.db}, r.WithContext(ctx))
	})
}

// badReadAfter answers a request whose read-after token is no LSN, as its
// endpoint answers bad input.
func (s *Server) badReadAfter(w http.ResponseWriter, r *http.Request, err error) {
	if r.URL.Path == "/graphql" {
		writeRequestError(w, r, http.StatusBadRequest, readAfterHeader+": "+err.Error())
		return
	}
	s.writeError(w, r, readAfterHeader, err)
}

// routeWriter sets the route's headers on the response: the database that
// served it, and the token of what it wrote.
type routeWriter struct {
	http.ResponseWriter
	ctx         context.Context
	db          *db.DB
	wroteHeader bool
}

func (w *routeWriter) WriteHeader(status int) {
	if !w.wroteHeader {
		w.wroteHeader = true
		if w.db.HasReplicas() {
			if by := w.db.ServedBy(w.ctx); by != "" {
				w.Header().Set(servedByHeader, by)
			}
		}
		if lsn := db.Written(w.ctx); lsn != 0 {
			w.Header().Set(readAfterHeader, lsn.String())
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *routeWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *routeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// readsOnReplicas sends the statements of GraphQL queries to the replicas
// (db.ReadOnly); mutations and subscriptions stay on the primary. It comes
// first among the extensions, so that the data version the answers cache
// reads is the replica's.
type readsOnReplicas struct{ db *db.DB }

var _ graphql.OperationInterceptor = readsOnReplicas{}

func (readsOnReplicas) ExtensionName() string                   { return "ReadsOnReplicas" }
func (readsOnReplicas) Validate(graphql.ExecutableSchema) error { return nil }

func (e readsOnReplicas) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if op := graphql.GetOperationContext(ctx); op.Operation != nil && op.Operation.Operation == ast.Query {
		ctx = e.db.ReadOnly(ctx)
	}
	return next(ctx)
}
