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

// slowConfig is the default config with short connection deadlines.
func slowConfig() *server.Config {
	cfg := server.DefaultConfig()
	cfg.IdleTimeout = 300 * time.Millisecond
	cfg.HeaderTimeout = 300 * time.Millisecond
	cfg.BodyTimeout = 300 * time.Millisecond
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

// TestSlowClientsAreReaped: real slow clients on loopback. A kept-alive
// connection left idle, a client sending its headers a byte at a time, and
// one trickling a POST body are each cut off at their deadline; oversized
// headers get 431 and an oversized body 413. Before, there was no idle or body
// deadline: 300 idle connections and 200 trickling POSTs stayed open.
func TestSlowClientsAreReaped(t *testing.T) {
	app := startApp(t, slowConfig())
	const within = 5 * time.Second // far above the 300 ms deadlines, far below "indefinitely"

	t.Run("idle keep-alive connections", func(t *testing.T) {
		conns := make([]net.Conn, 50)
		for i := range conns {
			conns[i] = dial(t, app)
			fmt.Fprintf(conns[i], "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, err := http.ReadResponse(bufio.NewReader(conns[i]), nil)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("healthz: %v %v", resp, err)
			}
			resp.Body.Close()
		}
		for _, c := range conns {
			closedWithin(t, c, within)
		}
	})
	t.Run("headers a byte at a time", func(t *testing.T) {
		c := dial(t, app)
		go func() {
			pace := time.NewTicker(50 * time.Millisecond) // the slow client's pace
			defer pace.Stop()
			for _, b := range []byte("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ") {
				if _, err := c.Write([]byte{b}); err != nil {
					return
				}
				<-pace.C
			}
		}()
		closedWithin(t, c, within)
	})
	t.Run("a trickled body", func(t *testing.T) {
		c := dial(t, app)
		fmt.Fprintf(c, "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond): // the slow client's pace
				}
				if _, err := c.Write([]byte(" ")); err != nil {
					return
				}
			}
		}()
		if got := closedWithin(t, c, within); !strings.Contains(got, "408") {
			t.Errorf("answered %q, want 408", got)
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
		res := mustQuery(t, newClient(), app.URL, "{"+layerAliases(10)+" }")
		if res.Status != http.StatusOK {
			t.Errorf("status %d", res.Status)
		}
	})
}
