package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// postTransport is gqlgen's POST transport, except that it writes a
// response's data as the executor built it. gqlgen's passes the response
// through json.Marshal, which checks and copies the data into a buffer that
// grows by doubling and then copies it once more: for a 13.5 MB answer (ten
// township layers), three copies at once, and 45 MB more allocated, in each
// of the heavy queries running together. serveGraphQL has checked the body
// and sets the status codes.
type postTransport struct{ transport.POST }

func (postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	w.Header().Set("Content-Type", responseMediaType(r))
	params := &graphql.RawParams{Headers: r.Header, ReadTime: graphql.TraceTiming{Start: graphql.Now()}}
	if err := decodeParams(r, params); err != nil {
		writeResponse(w, exec.DispatchError(ctx, gqlerror.List{gqlerror.Errorf("the request body is not a JSON object: %v", err)}))
		return
	}
	params.ReadTime.End = graphql.Now()
	rc, opErr := exec.CreateOperationContext(ctx, params)
	if opErr != nil {
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, rc), opErr))
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	writeResponse(w, responses(ctx))
}

// decodeParams reads r's parameters into p: from the members checkRequest
// kept, or, for a body it did not check, by decoding it as gqlgen does.
func decodeParams(r *http.Request, p *graphql.RawParams) error {
	if b, ok := r.Body.(*checkedBody); ok {
		return b.params(p)
	}
	dec := json.NewDecoder(r.Body)
	dec.UseNumber() // as gqlgen: variables keep their numbers exact
	return dec.Decode(p)
}

// writeResponse writes resp as json.Marshal would, but its data as it is:
// gqlgen's marshalers wrote it as valid JSON. A nil response, which gqlgen
// gives a request whose client has gone, is null.
func writeResponse(w io.Writer, resp *graphql.Response) {
	if resp == nil {
		io.WriteString(w, "null")
		return
	}
	data := resp.Data
	if data == nil {
		data = json.RawMessage("null")
	}
	var head, tail bytes.Buffer
	head.WriteString("{")
	if len(resp.Errors) > 0 {
		head.WriteString(`"errors":`)
		marshalInto(&head, resp.Errors)
		head.WriteString(",")
	}
	head.WriteString(`"data":`)
	if len(resp.Extensions) > 0 {
		tail.WriteString(`,"extensions":`)
		marshalInto(&tail, resp.Extensions)
	}
	tail.WriteString("}")
	for _, part := range [][]byte{head.Bytes(), data, tail.Bytes()} {
		w.Write(part)
	}
}

// marshalInto writes v as JSON to b, or null if it cannot be.
func marshalInto(b *bytes.Buffer, v any) {
	j, err := json.Marshal(v)
	if err != nil {
		j = []byte("null")
	}
	b.Write(j)
}
