// Package errcode is the one vocabulary of errors that users see: a Code that
// becomes the GraphQL error's extensions.code, a message a person can act on, and
// the wrapped cause, which is logged and never shown.
package errcode

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Code classifies an error for clients.
type Code string

// The codes clients can see. gqlgen adds GRAPHQL_PARSE_FAILED and
// GRAPHQL_VALIDATION_FAILED itself.
const (
	BadUserInput       Code = "BAD_USER_INPUT"
	NotFound           Code = "NOT_FOUND"
	Unauthenticated    Code = "UNAUTHENTICATED"
	Forbidden          Code = "FORBIDDEN"
	Conflict           Code = "CONFLICT"
	QueryTooComplex    Code = "QUERY_TOO_COMPLEX"
	Timeout            Code = "TIMEOUT"
	ServiceUnavailable Code = "SERVICE_UNAVAILABLE"
	Internal           Code = "INTERNAL_SERVER_ERROR"
)

// Error is an error with a code and a message meant for people. Field, when set,
// names the argument or input field at fault (e.g. "filter.countyCode").
// Extensions are more facts for programs, e.g. the currentVersion of a CONFLICT.
type Error struct {
	Code       Code
	Message    string
	Field      string
	Extensions map[string]any
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an Error with code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a BAD_USER_INPUT error about one argument or input field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: BadUserInput, Field: field, Message: field + ": " + fmt.Sprintf(format, args...)}
}

// SQLSTATE classes and codes that say the database, not the request, is at fault
// for the moment: it is shutting down, restarting or unreachable.
var unavailableStates = map[string]bool{
	"57P01": true, // admin_shutdown
	"57P02": true, // crash_shutdown
	"57P03": true, // cannot_connect_now
	"53300": true, // too_many_connections
}

// Classify returns the code for any error: its own code when it carries one, and
// otherwise a code derived from the SQLSTATE or the kind of failure.
func Classify(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "57014": // query_canceled: statement_timeout
			return Timeout
		case unavailableStates[pgErr.Code] || strings.HasPrefix(pgErr.Code, "08"): // connection exceptions
			return ServiceUnavailable
		}
		return Internal
	}
	if errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) {
		return Timeout
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) || pgconn.SafeToRetry(err) {
		return ServiceUnavailable
	}
	return Internal
}

// TimedOut marks err, which a deadline caused whatever it says, as TIMEOUT.
func TimedOut(err error) *Error {
	return &Error{Code: Timeout, Message: timeoutMessage, Err: err}
}

const timeoutMessage = "the query took too long and was stopped; narrow it (fewer items, a smaller area) and try again"

// PublicMessage is the message a client may see for err: the Error's own message,
// or a generic one for anything unclassified, whose cause must only be logged.
func PublicMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	switch Classify(err) {
	case Timeout:
		return timeoutMessage
	case ServiceUnavailable:
		return "the database is not reachable right now; try again in a moment"
	}
	return "internal server error"
}
