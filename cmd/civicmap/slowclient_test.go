package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"civicmap/server"
)

// slowConfig is the default config with short connection deadlines: long
// enough that hundreds of slow clients can connect and another be answered
// before the first is cut off.
func slowConfig() *server.Config {
	cfg := server.DefaultConfig()
	cfg.IdleTimeout = 2 * time.Second
	cfg.HeaderTimeout = 2 * time.Second
	cfg.BodyTimeout = 2 * time.Second
	cfg.MaxHeaderBytes = 4 << 10
	return &cfg
}

// dial opens a raw TCP connection to the app.
func dial(t *testing.T, app *testApp) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(app.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// keptAlive opens a connection that asks for /healthz and keeps it alive.
func keptAlive(t *testing.T, app *testApp) net.Conn {
	t.Helper()
	c := dial(t, app)
	fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	return c
}

// trickle writes b to c a byte a second, the slow client's pace, until the
// server closes c or stop is closed.
func trickle(c net.Conn, b []byte, stop <-chan struct{}) {
	pace := time.NewTicker(time.Second)
	defer pace.Stop()
	for i := range b {
		if _, err := c.Write(b[i : i+1]); err != nil {
			return
		}
		select {
		case <-stop:
			return
		case <-pace.C:
		}
	}
}

// stillOpen counts the connections of conns that the server has not closed:
// a read finds nothing to read yet, rather than the end.
func stillOpen(conns []net.Conn) int {
	var n int
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); errors.Is(err, os.ErrDeadlineExceeded) {
			n++
		}
	}
	return n
}

// closedWithin reads from c until the server closes it, failing t unless that
// happens within d; it returns what the server sent.
func closedWithin(t *testing.T, c net.Conn, d time.Duration) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	got, err := io.ReadAll(c)
	// A reset is a close too: the server closed while the client still wrote.
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the server kept the connection open past %s (read %q)", d, got)
	}
	return string(got)
}

// TestSlowClientsAreReaped: on loopback, with the numbers: 300
// kept-alive connections left idle, 200 clients sending their headers a byte
// a second and 200 POSTs trickling their bodies a byte a second. While all 700
// are connected, the server answers another client; then each is cut off at
// its deadline, the bodies with 408. Oversized headers get 431 and an
// oversized body 413. Before, there was no idle or body deadline: 300 idle
// connections and 200 trickling POSTs stayed open indefinitely.
func TestSlowClientsAreReaped(t *testing.T) {
	app := startApp(t, slowConfig())
	const within = 10 * time.Second // far above the deadlines, far below "indefinitely"

	t.Run("300 idle, 200 slow headers, 200 slow bodies", func(t *testing.T) {
		stop := make(chan struct{})
		defer close(stop)
		idle := make([]net.Conn, 300)
		for i := range idle {
			idle[i] = keptAlive(t, app)
		}
		headers := make([]net.Conn, 200)
		for i := range headers {
			headers[i] = dial(t, app)
			go trickle(headers[i], []byte("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "+strings.Repeat("a", 100)), stop)
		}
		bodies := make([]net.Conn, 200)
		for i := range bodies {
			bodies[i] = dial(t, app)
			fmt.Fprintf(bodies[i], "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
			go trickle(bodies[i], []byte(strings.Repeat(" ", 999)), stop)
		}

		mustQuery(t, newClient(), app.URL, platformCountQuery)
		open := stillOpen(idle)
		if open == 0 {
			t.Fatal("every idle connection was closed before the other client was answered: nothing shows the server answered it meanwhile")
		}
		t.Logf("another client answered while %d of the 300 idle connections (and the slow ones) were open", open)

		for _, c := range idle {
			closedWithin(t, c, within)
		}
		for _, c := range headers {
			closedWithin(t, c, within)
		}
		for _, c := range bodies {
			if got := closedWithin(t, c, within); !strings.Contains(got, "408") {
				t.Fatalf("a trickled body was answered %q, want 408", got)
			}
		}
	})
	t.Run("oversized headers", func(t *testing.T) {
		c := dial(t, app)
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", 8<<10))
		if got := closedWithin(t, c, within); !strings.Contains(got, "431") {
			t.Errorf("answered %q, want 431", got)
		}
	})
	t.Run("oversized body", func(t *testing.T) {
		body := `{"query": "` + strings.Repeat(" ", 300<<10) + `{ __typename }"}`
		resp, err := http.Post(app.URL+"/graphql", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d, want 413", resp.StatusCode)
		}
	})
	t.Run("a long request outlives the body deadline", func(t *testing.T) {
		// The deadline is lifted once the body is in, so a query that runs
		// longer than it is answered, not cut off.
		cfg := slowConfig()
		cfg.BodyTimeout = 50 * time.Millisecond
		start := time.Now()
		res := mustQuery(t, newClient(), startApp(t, cfg).URL, "{"+layerAliases(10)+" }")
		if res.Status != http.StatusOK {
			t.Errorf("status %d", res.Status)
		}
		t.Logf("answered after %s; the body deadline is %s", time.Since(start), cfg.BodyTimeout)
	})
}
