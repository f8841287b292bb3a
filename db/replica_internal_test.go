package db

import (
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"civicmap/errcode"
)

// TestParseLSN: a token is an LSN as PostgreSQL writes it, and nothing else.
func TestParseLSN(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want LSN
		ok   bool
	}{
		{"0/0", 0, true},
		{"0/3000148", 0x3000148, true},
		{"16/B374D848", 0x16_B374D848, true},
		{"FFFFFFFF/FFFFFFFF", ^LSN(0), true},
		{"", 0, false},
		{"0", 0, false},
		{"1/", 0, false},
		{"/1", 0, false},
		{"-1/0", 0, false},
		{"+1/0", 0, false},
		{"0x1/0", 0, false},
		{"100000000/0", 0, false},
		{"0/1 ", 0, false},
		{"0/1/2", 0, false},
		{"yesterday", 0, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseLSN(tc.in)
			if !tc.ok {
				if errcode.Classify(err) != errcode.BadUserInput {
					t.Errorf("ParseLSN(%q) = %v, %v; want BAD_USER_INPUT", tc.in, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("ParseLSN(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			if back := got.String(); back != tc.in {
				t.Errorf("%v.String() = %q, want %q", got, back, tc.in)
			}
		})
	}
}

// TestLagClock: a replica lags by how long ago the primary was first seen
// past its position, not by how old its last commit is.
func TestLagClock(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	c := newLagClock(5 * time.Second)
	// The primary was idle at 100 for a minute, then wrote at t0+60s.
	for s := range 61 {
		c.add(t0.Add(time.Duration(s)*time.Second), 100)
	}
	c.add(t0.Add(61*time.Second), 200)
	c.add(t0.Add(62*time.Second), 300)
	now := t0.Add(63 * time.Second)
	for _, tc := range []struct {
		name      string
		replay    LSN
		replayAge time.Duration
		want      time.Duration
	}{
		{"caught up", 300, time.Hour, 0},
		{"past the primary's last position", 301, time.Hour, 0},
		{"idle primary, replica at its position, old last commit", 100, time.Minute, 2 * time.Second},
		{"one position behind", 200, time.Minute, time.Second},
		// The oldest kept is keepFor (11 s) before the last, 12 s before now.
		{"behind every kept position, recent last commit", 50, 0, 12 * time.Second},
		{"behind every kept position", 50, time.Hour, time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.behind(now, tc.replay, tc.replayAge); got != tc.want {
				t.Errorf("behind(%v) = %s, want %s", tc.replay, got, tc.want)
			}
		})
	}
	if kept := len(c.samples); kept > 20 {
		t.Errorf("%d positions kept; want those of the last %s", kept, c.keepFor())
	}
}

// TestReplicaFailure: only errors that say the replica failed send a read to
// the primary; only those that say it is gone take it out of the rotation.
func TestReplicaFailure(t *testing.T) {
	for _, tc := range []struct {
		name        string
		err         error
		again, gone bool
	}{
		{"refused", &pgconn.ConnectError{}, true, true},
		{"lost", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true, true},
		{"postmaster died", &pgconn.PgError{Code: "57P01"}, true, true},
		{"starting up", &pgconn.PgError{Code: "57P03"}, true, true},
		{"connection exception", &pgconn.PgError{Code: "08006"}, true, true},
		{"recovery conflict", &pgconn.PgError{Code: "40001"}, true, false},
		{"no rows", pgx.ErrNoRows, false, false},
		{"statement timeout", &pgconn.PgError{Code: "57014"}, false, false},
		{"bad input", &pgconn.PgError{Code: "22023"}, false, false},
		{"anything else", errors.New("scan: wrong type"), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			again, gone := replicaFailure(tc.err)
			if again != tc.again || gone != tc.gone {
				t.Errorf("replicaFailure(%v) = %v, %v; want %v, %v", tc.err, again, gone, tc.again, tc.gone)
			}
		})
	}
}

// TestVersionOlder: data versions order by geography version, then change
// number, as numbers.
func TestVersionOlder(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"1.9", "1.10", true},
		{"1.10", "1.9", false},
		{"1.10", "2.0", true},
		{"2.0", "1.10", false},
		{"1.5", "1.5", false},
		{"", "1.5", false},
		{"1.5", "x", false},
	} {
		if got := VersionOlder(tc.a, tc.b); got != tc.want {
			t.Errorf("VersionOlder(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
