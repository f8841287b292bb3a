package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
)

// requestIDHeader carries every response's request id, the one its log lines
// carry, so that a user can quote it and an operator find the cause.
const requestIDHeader = "X-Request-Id"

// newRequestID returns 16 random hex digits.
func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// requestID is the id of ctx's request, "" outside one.
func requestID(ctx context.Context) string {
	if o := outcomeOf(ctx); o != nil {
		return o.id
	}
	return ""
}
