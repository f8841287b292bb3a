package server

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"civicmap/errcode"
	"civicmap/graph"
	"civicmap/resolvers"
)

// newGraphQL returns the GraphQL executor: GET and POST transports, WebSocket
// for subscriptions, limits, kept answers (unless kept is nil), and the error
// presenter that turns every error into the errcode vocabulary.
func newGraphQL(res *resolvers.Resolver, cfg Config, log *slog.Logger, kept *answers) *handler.Server {
	gcfg := graph.Config{Resolvers: res}
	setComplexity(&gcfg.Complexity)
	srv := handler.New(graph.NewExecutableSchema(gcfg))
	srv.AddTransport(transport.Options{})
	// UseGrapQLResponseJsonByDefault stays false, and postTransport picks
	// the media type alike (responseMediaType): GraphQL over HTTP says a
	// client that accepts */* or sends no Accept gets application/json, which
	// every client can read. serveGraphQL (http.go) fixes the status codes.
	srv.AddTransport(transport.GET{})
	srv.AddTransport(postTransport{})
	srv.AddTransport(websocket(log, cfg.Heartbeat))
	cache := lru.New[*ast.QueryDocument](1000)
	srv.SetQueryCache(cache)
	// First: every extension after it reads the database of the route.
	srv.Use(readsOnReplicas{res.DB})
	srv.Use(extension.Introspection{})
	// Before the limits, which measure the query that a hash stands for.
	srv.Use(newPersistedQueries())
	srv.Use(&strictVariables{})
	srv.Use(&limits{maxDepth: cfg.MaxDepth, maxFields: cfg.MaxFields, maxComplexity: cfg.MaxComplexity,
		heavyCost: cfg.HeavyCost, heavy: make(chan struct{}, max(cfg.MaxHeavy, 1)), cache: cache, costs: lru.New[int](1000)})
	// After the limits, which price the query: only costly ones are kept.
	if kept != nil {
		srv.Use(kept)
	}
	srv.SetErrorPresenter(presentError(log))
	srv.SetRecoverFunc(recoverPanic(log))
	// Fresh loaders for each response, not each HTTP request: a subscription
	// lives as long as its connection, and each of its events must read the
	// database as it is then.
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		return next(res.WithLoaders(ctx))
	})
	srv.AroundResponses(boundResponse(cfg.MaxResponseBytes))
	srv.AroundFields(chargeFields)
	// Inside chargeFields, which charges what it writes.
	srv.AroundFields(writeFlat)
	srv.AroundResponses(noteOutcome)
	srv.AroundResponses(markRequestErrors)
	return srv
}

// wsMaxMessage bounds a WebSocket message as maxBody bounds a POST body.
var wsMaxMessage int64 = maxBody

// websocket is the transport of subscriptions (graphql-transport-ws, and the
// older graphql-ws). Map apps of any site may subscribe, as they may read: the
// feed is public, and nothing here rides on what a browser sends by itself
// (no cookies; a key travels only in an Authorization header a page must set
// on purpose), so a page of another origin gains nothing a plain client lacks.
func websocket(log *slog.Logger, heartbeat time.Duration) transport.Websocket {
	return transport.Websocket{
		Implementation: transport.CoderWebsocketImplementation{
			AcceptOptions: coderws.AcceptOptions{OriginPatterns: []string{"*"}},
		},
		// A message is held whole before it is parsed, as a POST body is.
		PayloadReadLimit: &wsMaxMessage,
		// A client that connects and never says connection_init is dropped.
		InitTimeout: 10 * time.Second,
		// A message every heartbeat keeps an idle connection open through
		// proxies: "ka" in graphql-ws, and in graphql-transport-ws a pong,
		// which the protocol lets a server send unasked as a heartbeat.
		// gqlgen's KeepAlivePingInterval covers only graphql-ws: with it
		// alone, the map page's subscription went silent behind nginx.
		KeepAlivePingInterval: heartbeat,
		PongOnlyInterval:      heartbeat,
		ErrorFunc: func(ctx context.Context, err error) {
			log.DebugContext(ctx, "websocket", "err", err)
		},
	}
}

// presentError gives clients a code and a message they can act on, and never
// the text of an unclassified error, whose cause is logged instead.
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var gqlErr *gqlerror.Error
		if errors.As(err, &gqlErr) && gqlErr.Err == nil {
			// gqlgen's own errors (parse, validation, limits): keep their code,
			// but call wrong argument values what they are for a user.
			if gqlErr.Rule == "ValuesOfCorrectType" || isVariableError(gqlErr) {
				setCode(gqlErr, errcode.BadUserInput)
			}
			if isVariableError(gqlErr) && len(gqlErr.Path) > 1 {
				// The variable, as the strict checks name it: "crs", "k[0]".
				gqlErr.Extensions["field"] = gqlErr.Path[1:].String()
			}
			return gqlErr
		}
		// The cause, before the message the client sees replaces it: for an
		// error gqlgen wrapped, out is err itself.
		cause := err.Error()
		err = deadlineAware(ctx, err)
		out := graphql.DefaultErrorPresenter(ctx, err)
		code := errcode.Classify(err)
		out.Message = errcode.PublicMessage(err)
		setCode(out, code)
		var e *errcode.Error
		if errors.As(err, &e) {
			for k, v := range e.Extensions {
				out.Extensions[k] = v
			}
			field := e.Field
			if field == "" && code == errcode.BadUserInput {
				// A custom scalar cannot know which argument it reads.
				if field = argumentPath(ctx, out.Path); field != "" {
					out.Message = field + ": " + out.Message
				}
			}
			if field != "" {
				out.Extensions["field"] = field
			}
		}
		logError(ctx, log, out, code, err, cause)
		return out
	}
}

// deadlineAware makes err TIMEOUT when the request's deadline has passed:
// the deadline cancelled a statement that then reported something else
// (GEOS, interrupted, raises XX000).
func deadlineAware(ctx context.Context, err error) error {
	if errcode.Classify(err) == errcode.Internal && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return errcode.TimedOut(err)
	}
	return err
}

// logError logs the cause of an error that is not the client's, with the
// request id, which the client gets too (extensions.requestId). A request
// whose client went away is no error of the server's: it is noted at INFO.
func logError(ctx context.Context, log *slog.Logger, out *gqlerror.Error, code errcode.Code, err error, cause string) {
	if code != errcode.Internal && code != errcode.ServiceUnavailable && code != errcode.Timeout {
		return
	}
	id := requestID(ctx)
	if errors.Is(err, context.Canceled) {
		log.InfoContext(ctx, "client disconnected before the answer", "request_id", id, "path", out.Path.String())
		return
	}
	log.ErrorContext(ctx, "graphql error", "request_id", id, "code", code, "path", out.Path.String(), "err", cause)
	if id != "" {
		out.Extensions["requestId"] = id
	}
}

// argumentPath names the argument (e.g. "within") or input field an error was
// raised reading: gqlgen reports such an error on the path of the field being
// resolved, extended by the argument's path. "" for errors of the field itself.
func argumentPath(ctx context.Context, path ast.Path) string {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return ""
	}
	fieldPath := fc.Path()
	if len(path) <= len(fieldPath) || path[:len(fieldPath)].String() != fieldPath.String() {
		return ""
	}
	return path[len(fieldPath):].String()
}

// isVariableError reports whether a request's variables failed to coerce: their
// path starts at "variable".
func isVariableError(e *gqlerror.Error) bool {
	return len(e.Path) > 0 && e.Path[0] == ast.PathName("variable")
}

func setCode(e *gqlerror.Error, code errcode.Code) {
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions["code"] = string(code)
}

// recoverPanic logs a resolver's panic with its stack and answers with a generic
// internal error; the server keeps serving.
func recoverPanic(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in resolver", "panic", p, "stack", string(debug.Stack()))
		return errcode.Errorf(errcode.Internal, "internal server error")
	}
}
