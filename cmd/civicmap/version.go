package main

import (
	"fmt"
	"io"
	"runtime/debug"

	"civicmap/db/migrations"
)

// buildVersion is what `civicmap version` says about the binary: its module
// version, the commit it was built from and the schema it migrates to.
type buildVersion struct {
	Module   string // "v0.0.0-20261130…-72eb026abcde+dirty", or "(devel)"
	Revision string // the VCS revision, or "unknown"
	Time     string // the revision's commit time, or ""
	Modified bool   // built from a checkout with uncommitted changes
	Go       string // the toolchain that built it
	Schema   int    // the newest migration in db/migrations
}

// readVersion reads the version stamped into the binary by the go command.
// A binary built outside a checkout (or a test binary) carries no VCS
// revision, and one built with go run or from a dirty tree may have no module
// version: those are reported as unknown and (devel) rather than guessed.
func readVersion() buildVersion {
	info, _ := debug.ReadBuildInfo()
	return versionOf(info, migrations.Latest())
}

// versionOf is readVersion on given build info, which may be nil.
func versionOf(info *debug.BuildInfo, schema int) buildVersion {
	v := buildVersion{Module: "(devel)", Revision: "unknown", Go: "unknown", Schema: schema}
	if info == nil {
		return v
	}
	if info.Main.Version != "" {
		v.Module = info.Main.Version
	}
	if info.GoVersion != "" {
		v.Go = info.GoVersion
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// print writes the version, one fact a line, to w.
func (v buildVersion) print(w io.Writer) {
	rev := v.Revision
	if v.Time != "" {
		rev += " (" + v.Time + ")"
	}
	if v.Modified {
		rev += " with uncommitted changes"
	}
	fmt.Fprintf(w, "civicmap %s\nrevision: %s\nschema:   %d (the newest migration in db/migrations)\ngo:       %s\n", v.Module, rev, v.Schema, v.Go)
}
