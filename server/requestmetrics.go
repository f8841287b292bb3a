package server

import (
	"net/http"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"civicmap/errcode"
)

// Requests are counted by what they did, with labels of bounded values only:
// a label value that a client can choose makes a new series each time, and
// enough of them exhaust Prometheus. So a GraphQL request is labelled by its
// operation type and the first field it selects at the root — names from the
// schema, a few dozen — and never by the operation's name, which a client
// writes as it likes (and persists under a hash of its own); other requests
// by the route pattern that served them, never by their path.

// requestKind tells the request metrics which family a request belongs to.
type requestKind uint8

const (
	kindHTTP      requestKind = iota // any route but /graphql's GraphQL
	kindGraphQL                      // GraphQL over HTTP, GET or POST
	kindWebsocket                    // a /graphql WebSocket: open for as long as it lasts, so not timed
)

// result is a request's outcome, from best to worst.
type result uint8

const (
	resultOK result = iota
	resultClientError
	resultRejected // by a limit: cost, depth, size, a body too slow or too big, exports busy
	resultTimeout
	resultServerError
)

var resultNames = [...]string{"ok", "client_error", "rejected", "timeout", "server_error"}

// resultOf is what an error's extensions.code says of its request.
func resultOf(code string) result {
	switch errcode.Code(code) {
	case errcode.Internal, errcode.ServiceUnavailable, "":
		return resultServerError
	case errcode.Timeout:
		return resultTimeout
	case errcode.QueryTooComplex:
		return resultRejected
	}
	return resultClientError // gqlgen's parse and validation failures too
}

// result is the request's outcome: the worst of its errors', or else its
// status's. A status that only a limit sends is rejected whatever the error.
func (o *outcome) result(status int) result {
	switch status {
	case http.StatusRequestTimeout, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests,
		http.StatusRequestHeaderFieldsTooLarge:
		return resultRejected
	}
	if o.rejected {
		return resultRejected
	}
	_, codes := o.noted()
	worst := resultOK
	for _, code := range codes {
		worst = max(worst, resultOf(code))
	}
	switch {
	case worst != resultOK:
		return worst
	case status >= 500:
		return resultServerError
	case status >= 400:
		return resultClientError
	}
	return resultOK
}

// observe counts a request that ended after took with status; finished is
// false when its handler panicked (an export cut off), which is a server
// error whatever the status sent before.
func (m *instruments) observe(o *outcome, status int, took time.Duration, finished bool) {
	res := o.result(status)
	if !finished {
		res = resultServerError
	}
	switch o.kind {
	case kindGraphQL:
		o.mu.Lock()
		opType, field := o.opType, o.field
		o.mu.Unlock()
		m.graphql.WithLabelValues(orNone(opType), orNone(field), resultNames[res]).Observe(took.Seconds())
	case kindHTTP:
		m.http.WithLabelValues(routeLabel(o.pattern), resultNames[res]).Observe(took.Seconds())
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// rootField is the name of the first field set selects, through fragments,
// other than __typename (which it is when nothing else is selected); "" when
// none is the schema's. Only a validated document's fields have a
// Definition, so the name is always one of the schema's.
func rootField(set ast.SelectionSet) string {
	typename := ""
	for _, sel := range set {
		var name string
		switch sel := sel.(type) {
		case *ast.Field:
			if sel.Definition != nil {
				name = sel.Name
			}
		case *ast.InlineFragment:
			name = rootField(sel.SelectionSet)
		case *ast.FragmentSpread:
			if sel.Definition != nil {
				name = rootField(sel.Definition.SelectionSet)
			}
		}
		switch name {
		case "":
		case "__typename":
			typename = name
		default:
			return name
		}
	}
	return typename
}
