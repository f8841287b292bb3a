package server

import (
	"net/http"
	"strings"

	"civicmap/errcode"
	"civicmap/resolvers"
)

// authenticate looks up the API key of a request that sends an Authorization
// header, once, and puts the outcome into its context for the mutations to
// check. A request without the header (every public read) costs no lookup.
//
// A WebSocket carries no key, whatever its upgrade request sent: the key would
// be checked once for a connection that may outlive its revocation, and would
// let writes past the limits of HTTP (POST only, bodies of 256 KiB). Writes go
// over HTTP; the WebSocket is for subscriptions.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			err := errcode.Errorf(errcode.Unauthenticated, "writes are not taken over a WebSocket: send mutations as HTTP POST to /graphql with `Authorization: Bearer <token>`")
			next.ServeHTTP(w, r.WithContext(resolvers.WithKey(ctx, nil, err)))
			return
		}
		h := r.Header.Get("Authorization")
		if h == "" {
			next.ServeHTTP(w, r)
			return
		}
		scheme, token, _ := strings.Cut(strings.TrimSpace(h), " ")
		token = strings.TrimSpace(token)
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			err := errcode.Errorf(errcode.Unauthenticated, "the Authorization header must be `Bearer <token>`")
			next.ServeHTTP(w, r.WithContext(resolvers.WithKey(ctx, nil, err)))
			return
		}
		key, err := s.db.KeyByToken(ctx, token)
		next.ServeHTTP(w, r.WithContext(resolvers.WithKey(ctx, key, err)))
	})
}
