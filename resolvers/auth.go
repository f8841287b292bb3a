package resolvers

import (
	"context"

	"civicmap/db"
	"civicmap/errcode"
)

// authKey keys the outcome of the request's authentication in its context.
type authKey struct{}

type authOutcome struct {
	key *db.APIKey
	err error
}

// WithKey returns ctx carrying the outcome of authenticating the request: the
// API key it presented, or why its credentials were refused. Reads ignore it;
// mutations report err, so that a bad key on a read does not break the read.
func WithKey(ctx context.Context, key *db.APIKey, err error) context.Context {
	return context.WithValue(ctx, authKey{}, authOutcome{key: key, err: err})
}

// writer returns the request's key as a writer: UNAUTHENTICATED without a
// valid key, FORBIDDEN for a reader key. Whether it may write a given
// platform is for the database to say.
func writer(ctx context.Context) (db.Writer, error) {
	a, _ := ctx.Value(authKey{}).(authOutcome)
	switch {
	case a.err != nil:
		return db.Writer{}, a.err
	case a.key == nil:
		return db.Writer{}, errcode.Errorf(errcode.Unauthenticated, "writes need an API key: send the header Authorization: Bearer <token>")
	}
	return a.key.Writer()
}

// writerOn returns the request's key as a writer, and the ID of the platform
// that the global ID id names: what a write to one platform needs.
func writerOn(ctx context.Context, id string) (db.Writer, int64, error) {
	w, err := writer(ctx)
	if err != nil {
		return w, 0, err
	}
	n, err := platformKeyOf("id", id)
	return w, n, err
}
