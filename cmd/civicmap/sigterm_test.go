package main

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"civicmap/db/dbtest"
)

// TestSIGTERMShutsDownGracefully builds the binary, serves a fresh database
// with it and sends SIGTERM: the process must take the graceful path and exit 0.
func TestSIGTERMShutsDownGracefully(t *testing.T) {
	bin := buildCivicmap(t)

	// Take a free port, then give it to the binary.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	var stderr syncBuffer
	cmd := exec.Command(bin, "serve", "-log-format", "json")
	cmd.Env = append(os.Environ(), "CIVICMAP_DATABASE_URL="+dbtest.NewConnString(t), "CIVICMAP_ADDR="+addr)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	waited := false
	t.Cleanup(func() {
		if !waited {
			cmd.Process.Kill()
			<-exited
		}
	})

	client := newClient()
	baseURL := "http://" + addr
	waitFor(t, "the binary to serve /readyz", func() bool {
		select {
		case err := <-exited:
			waited = true
			t.Fatalf("civicmap serve exited early (%v):\n%s", err, stderr.String())
		default:
		}
		code, err := getStatus(client, baseURL, "/readyz")
		return err == nil && code == http.StatusOK
	})
	mustQuery(t, client, baseURL, platformCountQuery)

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		waited = true
		if err != nil { // an *exec.ExitError for a non-zero exit code
			t.Fatalf("civicmap serve after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(opsTimeout):
		t.Fatalf("civicmap serve did not exit within %s of SIGTERM:\n%s", opsTimeout, stderr.String())
	}
	if !strings.Contains(stderr.String(), "shutting down") {
		t.Errorf("no shutdown log line after SIGTERM:\n%s", stderr.String())
	}
}
