package dbtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

func TestOrphaned(t *testing.T) {
	// A PID that surely ended: a child that has exited and been waited for.
	done := exec.Command("true")
	if err := done.Run(); err != nil {
		t.Fatal(err)
	}
	dead := strconv.Itoa(done.Process.Pid)
	tests := []struct {
		name  string
		owner *string // nil: no owner file
		want  bool
	}{
		{name: "no owner file", owner: nil, want: false},
		{name: "live owner", owner: ptr(strconv.Itoa(os.Getpid())), want: false},
		{name: "dead owner", owner: ptr(dead), want: true},
		{name: "garbage owner", owner: ptr("not a pid"), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := t.TempDir()
			if tt.owner != nil {
				if err := os.WriteFile(filepath.Join(base, ownerFile), []byte(*tt.owner), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got := orphaned(base); got != tt.want {
				t.Errorf("orphaned() = %v, want %v", got, tt.want)
			}
		})
	}
}

func ptr(s string) *string { return &s }
