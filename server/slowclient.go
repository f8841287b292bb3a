package server

import (
	"errors"
	"io"
	"net/http"
	"time"
)

// bodyDeadline gives a request with a body d to send all of it: a client
// trickling its body fails the read, and the handler answers or gives up. The
// deadline is lifted as soon as the body is read, since net/http then watches
// the connection with a read of its own that must not time out while the
// request is served.
func bodyDeadline(d time.Duration, next http.Handler) http.Handler {
	if d <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		if err := rc.SetReadDeadline(time.Now().Add(d)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			next.ServeHTTP(w, r)
			return
		}
		r.Body = &liftAtEOF{ReadCloser: r.Body, lift: func() { rc.SetReadDeadline(time.Time{}) }}
		next.ServeHTTP(w, r)
	})
}

// liftAtEOF calls lift once, when its body has been read to the end.
type liftAtEOF struct {
	io.ReadCloser
	lift func()
}

func (b *liftAtEOF) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && b.lift != nil {
		b.lift()
		b.lift = nil
	}
	return n, err
}
