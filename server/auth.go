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
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if h == "" {
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
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
