package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"civicmap/resolvers"
	"civicmap/server"
)

// wsClient is a graphql-transport-ws client on a real WebSocket. A goroutine
// reads the connection (answering pings, counting the server's heartbeat
// pongs) into msgs: a read that times out would close it.
type wsClient struct {
	t     *testing.T
	conn  *websocket.Conn
	msgs  chan wsMessage
	pongs atomic.Int64
}

// wsMessage is a message of graphql-transport-ws.
type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// dialGraphQL opens a WebSocket to srv's /graphql and initialises the protocol.
func dialGraphQL(t *testing.T, srv *httptest.Server, header http.Header) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: header})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	if conn.Subprotocol() != "graphql-transport-ws" {
		t.Fatalf("subprotocol %q", conn.Subprotocol())
	}
	c := &wsClient{t: t, conn: conn, msgs: make(chan wsMessage, 100)}
	go c.pump()
	c.send(wsMessage{Type: "connection_init"})
	if m := c.next(5 * time.Second); m.Type != "connection_ack" {
		t.Fatalf("got %+v, want connection_ack", m)
	}
	return c
}

func (c *wsClient) pump() {
	defer close(c.msgs)
	for {
		var m wsMessage
		if err := wsjson.Read(context.Background(), c.conn, &m); err != nil {
			return
		}
		switch m.Type {
		case "ping":
			wsjson.Write(context.Background(), c.conn, wsMessage{Type: "pong"})
			continue
		case "pong":
			c.pongs.Add(1)
			continue
		}
		c.msgs <- m
	}
}

func (c *wsClient) send(m wsMessage) {
	c.t.Helper()
	if err := wsjson.Write(c.t.Context(), c.conn, m); err != nil {
		c.t.Fatalf("send %s: %v", m.Type, err)
	}
}

// subscribe starts a subscription numbered id.
func (c *wsClient) subscribe(id, query string, vars map[string]any) {
	c.t.Helper()
	p, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		c.t.Fatal(err)
	}
	c.send(wsMessage{ID: id, Type: "subscribe", Payload: p})
}

// next returns the next message other than a ping, failing after wait.
func (c *wsClient) next(wait time.Duration) wsMessage {
	c.t.Helper()
	m, err := c.read(wait)
	if err != nil {
		c.t.Fatalf("no message within %s: %v", wait, err)
	}
	return m
}

func (c *wsClient) read(wait time.Duration) (wsMessage, error) {
	select {
	case m, ok := <-c.msgs:
		if !ok {
			return m, errors.New("the connection is closed")
		}
		return m, nil
	case <-time.After(wait):
		return wsMessage{}, errors.New("timed out")
	}
}

// event is what the tests select of a Change.
type event struct {
	Operation, ExternalID, Cursor string
	Version                       int
	Platform                      *struct{ Name string }
	Tombstone                     *struct{ Version int }
}

const changedSubscription = `subscription($after: String) { platformChanged(after: $after) {
	operation externalId version cursor platform { name } tombstone { version } } }`

// event reads the next message, which must be an event of the subscription.
func (c *wsClient) event() event {
	c.t.Helper()
	m := c.next(10 * time.Second)
	var p struct {
		Data   struct{ PlatformChanged event }
		Errors []gqlError
	}
	if m.Type != "next" || json.Unmarshal(m.Payload, &p) != nil || len(p.Errors) > 0 {
		c.t.Fatalf("got %s %s, want an event", m.Type, m.Payload)
	}
	return p.Data.PlatformChanged
}

// errors reads the next message that is not a complete, which must carry
// errors: an error message, or a next message with errors.
func (c *wsClient) errors() []gqlError {
	c.t.Helper()
	m := c.next(10 * time.Second)
	for m.Type == "complete" {
		m = c.next(10 * time.Second)
	}
	var errs []gqlError
	switch m.Type {
	case "error":
		json.Unmarshal(m.Payload, &errs)
	case "next":
		var p struct{ Errors []gqlError }
		json.Unmarshal(m.Payload, &p)
		errs = p.Errors
	}
	if len(errs) == 0 {
		c.t.Fatalf("got %s %s, want errors", m.Type, m.Payload)
	}
	return errs
}

// quiet checks that nothing but pings arrives for a while.
func (c *wsClient) quiet(wait time.Duration) {
	c.t.Helper()
	if m, err := c.read(wait); err == nil {
		c.t.Fatalf("unexpected %s %s", m.Type, m.Payload)
	}
}

// feedEnd is the change feed's endCursor now.
func (f *syncFixture) feedEnd(t *testing.T) string {
	t.Helper()
	var d struct {
		Changes struct{ PageInfo struct{ EndCursor string } }
	}
	// The feed is read to its end: a page of 500 holds the 207 seeded changes.
	data(t, f.h, `{ changes(first: 500) { pageInfo { endCursor hasNextPage } } }`, nil, &d)
	return d.Changes.PageInfo.EndCursor
}

// TestSubscriptionLive: a subscriber without a cursor receives the writes made
// through the mutations as they commit, in order, tombstone included.
func TestSubscriptionLive(t *testing.T) {
	f := newSyncFixture(t)
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	c := dialGraphQL(t, srv, nil)
	c.subscribe("1", changedSubscription, nil)
	c.quiet(700 * time.Millisecond) // nothing old is replayed, and the subscription is live

	var created struct{ CreatePlatform struct{ ID string } }
	data2(t, f.h, f.admin, createMutation, map[string]any{"in": f.workstation(t, "WS-LIVE-1", "350481100", "350481")}, &created)
	p := f.platformByExternalID(t, "WS-LIVE-1")
	data2(t, f.h, f.admin, updateMutation, map[string]any{"id": p.ID, "in": with(p.Input, "name", "改名"), "v": 1}, &struct{}{})
	data2(t, f.h, f.admin, deleteMutation, map[string]any{"id": p.ID, "v": 2}, &struct{}{})

	var got []event
	for range 3 {
		got = append(got, c.event())
	}
	for i, want := range []struct {
		op      string
		version int
	}{{"CREATE", 1}, {"UPDATE", 2}, {"DELETE", 3}} {
		e := got[i]
		if e.Operation != want.op || e.Version != want.version || e.ExternalID != "WS-LIVE-1" {
			t.Errorf("event %d: %+v, want %s version %d", i, e, want.op, want.version)
		}
		if (e.Tombstone != nil) != (want.op == "DELETE") || (e.Platform != nil) == (want.op == "DELETE") {
			t.Errorf("event %d: platform %v, tombstone %v", i, e.Platform, e.Tombstone)
		}
	}
	if got[1].Platform == nil || got[1].Platform.Name != "改名" {
		t.Errorf("the update's platform: %+v", got[1].Platform)
	}
	if got[0].Cursor == "" || got[0].Cursor == got[1].Cursor || got[1].Cursor == got[2].Cursor {
		t.Errorf("cursors %q, %q, %q: want one per change", got[0].Cursor, got[1].Cursor, got[2].Cursor)
	}
	c.quiet(700 * time.Millisecond)
}

// TestSubscriptionHeartbeat: an idle graphql-transport-ws subscriber gets a
// pong every Heartbeat and nothing else, so a proxy keeps its connection open.
func TestSubscriptionHeartbeat(t *testing.T) {
	f := newSyncFixture(t)
	cfg := server.DefaultConfig()
	cfg.Heartbeat = 100 * time.Millisecond
	srv := httptest.NewServer(server.New(cfg, f.db, slog.New(slog.DiscardHandler)).Handler())
	defer srv.Close()
	c := dialGraphQL(t, srv, nil)
	c.subscribe("1", changedSubscription, nil)
	c.quiet(time.Second)
	if n := c.pongs.Load(); n < 3 {
		t.Errorf("%d heartbeats in 1 s at one per 100 ms", n)
	}
}

// TestSubscriptionLateSubscriber: a subscriber with a cursor receives every
// change since it, then the live ones, while a writer keeps writing through
// the hand-over: each change exactly once, in the feed's order.
func TestSubscriptionLateSubscriber(t *testing.T) {
	f := newSyncFixture(t)
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	cursor := f.feedEnd(t)

	data2(t, f.h, f.admin, createMutation, map[string]any{"in": f.workstation(t, "WS-LATE-1", "350481100", "350481")}, &struct{}{})
	p := f.platformByExternalID(t, "WS-LATE-1")
	const writes = 30 // the create, then updates, some before and some after the subscription starts
	const before = 8  // updates written before the subscription starts
	done := make(chan error, 1)
	subscribed := make(chan struct{})
	go func() {
		for v := 1; v < writes; v++ {
			if v == before+1 {
				<-subscribed // the rest race the subscription's replay
			}
			r := postAuth(t, f.h, f.admin, updateMutation, map[string]any{"id": p.ID, "in": with(p.Input, "name", "版本 "+time.Now().String()), "v": v})
			if len(r.Errors) > 0 {
				done <- errorsOf(r)
				return
			}
		}
		done <- nil
	}()
	// Subscribe once the first updates are written (or the writer failed).
	eventually(t, "the first updates", func() bool { return f.platformByExternalID(t, "WS-LATE-1").Version > before || len(done) > 0 })
	c := dialGraphQL(t, srv, nil)
	c.subscribe("late", changedSubscription, map[string]any{"after": cursor})
	close(subscribed)

	var versions []int
	var cursors []string
	for range writes {
		e := c.event()
		versions = append(versions, e.Version)
		cursors = append(cursors, e.Cursor)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	c.quiet(700 * time.Millisecond)
	for i, v := range versions {
		if v != i+1 {
			t.Fatalf("versions %v: want 1…%d, each once, in order", versions, writes)
		}
	}
	var feed struct {
		Changes struct{ Edges []struct{ Cursor string } }
	}
	data(t, f.h, `query($after: String) { changes(after: $after, first: 500) { edges { cursor } } }`, map[string]any{"after": cursor}, &feed)
	var want []string
	for _, e := range feed.Changes.Edges {
		want = append(want, e.Cursor)
	}
	if !slices.Equal(cursors, want) {
		t.Errorf("the subscription's cursors differ from the feed's:\n got %v\nwant %v", cursors, want)
	}
}

type errorList []gqlError

func (e errorList) Error() string { b, _ := json.Marshal([]gqlError(e)); return string(b) }

func errorsOf(r result) error { return errorList(r.Errors) }

// TestSubscriptionErrors: a bad cursor is BAD_USER_INPUT naming `after`, and
// a subscription over the cost limit is refused like a query.
func TestSubscriptionErrors(t *testing.T) {
	f := newSyncFixture(t)
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	c := dialGraphQL(t, srv, nil)

	for _, tc := range []struct {
		name, query, code string
		vars              map[string]any
	}{
		{"not a cursor", changedSubscription, "BAD_USER_INPUT", map[string]any{"after": "nonsense"}},
		{"another list's cursor", changedSubscription, "BAD_USER_INPUT", map[string]any{"after": f.platformsCursor(t)}},
		{"too costly", `subscription { platformChanged { platform { township { platforms(first: 500) { nodes {
			township { platforms(first: 500) { nodes { id } } } } } } } } }`, "QUERY_TOO_COMPLEX", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.subscribe(tc.name, tc.query, tc.vars)
			errs := c.errors()
			if code := errs[0].Extensions["code"]; code != tc.code {
				t.Errorf("code %v, want %s: %+v", code, tc.code, errs)
			}
			if tc.code == "BAD_USER_INPUT" && errs[0].Extensions["field"] != "after" {
				t.Errorf("field %v, want after", errs[0].Extensions["field"])
			}
		})
	}
}

// platformsCursor is a cursor of the platforms list, which the feed refuses.
func (f *syncFixture) platformsCursor(t *testing.T) string {
	t.Helper()
	var d struct {
		Platforms struct{ PageInfo struct{ EndCursor string } }
	}
	data(t, f.h, `{ platforms(first: 1) { pageInfo { endCursor } } }`, nil, &d)
	return d.Platforms.PageInfo.EndCursor
}

// TestWebsocketOrigin: a map page of the server's own origin and one of another
// site may both subscribe, as both may read.
func TestWebsocketOrigin(t *testing.T) {
	f := newSyncFixture(t)
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	for _, origin := range []string{srv.URL, "https://map.example"} {
		dialGraphQL(t, srv, http.Header{"Origin": {origin}})
	}
}

// TestNoWritesOverWebsocket: a WebSocket takes no writes, even when its upgrade
// request carried a valid admin key (the key could be revoked while the
// connection lives on); a message over the body limit closes the connection.
func TestNoWritesOverWebsocket(t *testing.T) {
	f := newSyncFixture(t)
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	c := dialGraphQL(t, srv, http.Header{"Authorization": {f.admin}})
	before := f.counts(t)
	c.subscribe("1", createMutation, map[string]any{"in": f.workstation(t, "WS-WS-1", "350481100", "350481")})
	errs := c.errors()
	if code, _ := errs[0].Extensions["code"].(string); code != "UNAUTHENTICATED" || !strings.Contains(errs[0].Message, "HTTP POST") {
		t.Errorf("got %+v, want UNAUTHENTICATED pointing to HTTP POST", errs)
	}
	if got := f.counts(t); got != before {
		t.Errorf("counts %+v after a refused write, want %+v", got, before)
	}
	c.subscribe("2", `{ platforms(first: 1) { totalCount } } #`+strings.Repeat("x", 300<<10), nil)
	for {
		m, err := c.read(5 * time.Second)
		if err != nil {
			if !strings.Contains(err.Error(), "closed") {
				t.Errorf("a message over 256 KiB: %v, want the connection closed", err)
			}
			break
		}
		if m.Type == "next" {
			t.Fatalf("a message over 256 KiB was answered: %s", m.Payload)
		}
	}
}

// TestSubscriptionRetriesAFailedRead: a subscriber whose read of the feed
// fails gets its backlog once the database answers again, without waiting for
// a new change to wake it.
func TestSubscriptionRetriesAFailedRead(t *testing.T) {
	f := newSyncFixture(t)
	cfg := server.DefaultConfig()
	cfg.FeedPoll = 50 * time.Millisecond
	var logs logBuffer
	srv := httptest.NewServer(server.New(cfg, f.db, slog.New(slog.NewTextHandler(&logs, nil))).Handler())
	defer srv.Close()
	live := dialGraphQL(t, srv, nil)
	live.subscribe("live", changedSubscription, nil) // keeps the poller running, as it would in production
	live.quiet(300 * time.Millisecond)

	// The feed's query joins township: without it, every read fails.
	exec := func(sql string) {
		t.Helper()
		if _, err := f.pool.Exec(t.Context(), sql); err != nil {
			t.Fatal(err)
		}
	}
	exec(`ALTER TABLE township RENAME TO township_away`)
	c := dialGraphQL(t, srv, nil)
	c.subscribe("replay", changedSubscription, map[string]any{"after": resolvers.ChangeCursor(0)})
	eventually(t, "several failed reads", func() bool { return strings.Count(logs.String(), "read of the change feed failed") >= 3 })
	exec(`ALTER TABLE township_away RENAME TO township`)

	// A few intervals, and no write in between.
	if m := c.next(time.Second); m.Type != "next" {
		t.Fatalf("got %s %s, want the first change", m.Type, m.Payload)
	}
	for range 206 {
		c.event()
	}
	live.quiet(100 * time.Millisecond)
}
