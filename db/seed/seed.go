// Package seed holds the directory data that civicmap writes itself: the CPPCC
// sectors (界别) and the platforms (liaison groups, workstations, sector halls).
//
// The files are committed CSV, embedded into the binary, so that a load is the
// same on every machine. Four platforms are real (from the source article); the
// rest are illustrative and say so in their provenance and source_note columns.
package seed

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"time"
)

//go:embed sectors.csv
var sectorsCSV []byte

//go:embed platforms.csv
var platformsCSV []byte

// Sector is one CPPCC sector (界别) row of sectors.csv.
type Sector struct {
	Code   string
	Name   string
	NameEn string
	Ord    int
}

// Platform is one row of platforms.csv. Empty optional columns are nil.
type Platform struct {
	ExternalID    string
	Kind          string
	Name          string
	OrganiserCode string
	TownshipCode  string
	HostName      string
	HostType      string
	SectorCode    *string
	Address       *string
	EstablishedOn *time.Time
	Status        string
	Provenance    string
	SourceNote    string
}

// RowError says which line and field of a seed file is wrong.
type RowError struct {
	File  string
	Line  int
	Field string
	Err   error
}

// Error returns "file line N field F: cause".
func (e *RowError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s line %d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s line %d field %s: %v", e.File, e.Line, e.Field, e.Err)
}

// Unwrap returns the cause.
func (e *RowError) Unwrap() error { return e.Err }

// Sectors parses the embedded sectors.csv.
func Sectors() ([]Sector, error) { return ParseSectors("sectors.csv", sectorsCSV) }

// Platforms parses the embedded platforms.csv.
func Platforms() ([]Platform, error) { return ParsePlatforms("platforms.csv", platformsCSV) }

var sectorHeader = []string{"code", "name", "name_en", "ord"}

var platformHeader = []string{"external_id", "kind", "name", "organiser_code", "township_code", "host_name",
	"host_type", "sector_code", "address", "established_on", "status", "provenance", "source_note"}

var (
	sectorCodeRe  = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	externalIDRe  = regexp.MustCompile(`^(LG|WS|SH)-[0-9]+$`)
	organiserRe   = regexp.MustCompile(`^[0-9]{6}$`)
	townshipRe    = regexp.MustCompile(`^[0-9]{9}$`)
	kinds         = set("LIAISON_GROUP", "WORKSTATION", "SECTOR_HALL")
	hostTypes     = set("PUBLIC_UNIT", "TOWNSHIP", "SUBDISTRICT", "VILLAGE_COMMUNITY", "ENTERPRISE", "SECTOR_BODY")
	statuses      = set("ACTIVE", "SUSPENDED", "CLOSED")
	provenances   = set("REAL", "ILLUSTRATIVE")
	kindIDPrefix  = map[string]string{"LIAISON_GROUP": "LG-", "WORKSTATION": "WS-", "SECTOR_HALL": "SH-"}
	errEmpty      = errors.New("must not be empty")
	errDuplicate  = errors.New("duplicate value")
	errBadPattern = errors.New("has the wrong form")
)

func set(vs ...string) map[string]bool {
	m := make(map[string]bool, len(vs))
	for _, v := range vs {
		m[v] = true
	}
	return m
}

// ParseSectors parses sectors.csv content; name is used in errors.
func ParseSectors(name string, data []byte) ([]Sector, error) {
	var out []Sector
	codes, names, ords := map[string]bool{}, map[string]bool{}, map[int]bool{}
	err := readRows(name, data, sectorHeader, func(line int, r record) error {
		s := Sector{Code: r.get("code"), Name: r.get("name"), NameEn: r.get("name_en")}
		switch {
		case !sectorCodeRe.MatchString(s.Code):
			return r.fail("code", errBadPattern)
		case codes[s.Code]:
			return r.fail("code", errDuplicate)
		case s.Name == "":
			return r.fail("name", errEmpty)
		case names[s.Name]:
			return r.fail("name", errDuplicate)
		case s.NameEn == "":
			return r.fail("name_en", errEmpty)
		}
		ord, err := strconv.Atoi(r.get("ord"))
		if err != nil {
			return r.fail("ord", err)
		}
		if ords[ord] {
			return r.fail("ord", errDuplicate)
		}
		s.Ord = ord
		codes[s.Code], names[s.Name], ords[ord] = true, true, true
		out = append(out, s)
		return nil
	})
	return out, err
}

// ParsePlatforms parses platforms.csv content; name is used in errors. It checks
// each row on its own; references to townships, organisers and sectors are
// checked by the database's foreign keys when loading.
func ParsePlatforms(name string, data []byte) ([]Platform, error) {
	var out []Platform
	ids := map[string]bool{}
	err := readRows(name, data, platformHeader, func(line int, r record) error {
		p := Platform{
			ExternalID: r.get("external_id"), Kind: r.get("kind"), Name: r.get("name"),
			OrganiserCode: r.get("organiser_code"), TownshipCode: r.get("township_code"),
			HostName: r.get("host_name"), HostType: r.get("host_type"),
			SectorCode: optional(r.get("sector_code")), Address: optional(r.get("address")),
			Status: r.get("status"), Provenance: r.get("provenance"), SourceNote: r.get("source_note"),
		}
		switch {
		case !externalIDRe.MatchString(p.ExternalID):
			return r.fail("external_id", errBadPattern)
		case ids[p.ExternalID]:
			return r.fail("external_id", errDuplicate)
		case !kinds[p.Kind]:
			return r.fail("kind", fmt.Errorf("unknown kind %q", p.Kind))
		case p.ExternalID[:3] != kindIDPrefix[p.Kind]:
			return r.fail("external_id", fmt.Errorf("prefix does not match kind %s", p.Kind))
		case p.Name == "":
			return r.fail("name", errEmpty)
		case !organiserRe.MatchString(p.OrganiserCode):
			return r.fail("organiser_code", errBadPattern)
		case !townshipRe.MatchString(p.TownshipCode):
			return r.fail("township_code", errBadPattern)
		case p.HostName == "":
			return r.fail("host_name", errEmpty)
		case !hostTypes[p.HostType]:
			return r.fail("host_type", fmt.Errorf("unknown host type %q", p.HostType))
		case (p.Kind == "SECTOR_HALL") != (p.SectorCode != nil):
			return r.fail("sector_code", errors.New("required for SECTOR_HALL and only there"))
		case !statuses[p.Status]:
			return r.fail("status", fmt.Errorf("unknown status %q", p.Status))
		case !provenances[p.Provenance]:
			return r.fail("provenance", fmt.Errorf("unknown provenance %q", p.Provenance))
		case p.SourceNote == "":
			return r.fail("source_note", errEmpty)
		}
		if v := r.get("established_on"); v != "" {
			d, err := time.Parse(time.DateOnly, v)
			if err != nil {
				return r.fail("established_on", err)
			}
			p.EstablishedOn = &d
		}
		ids[p.ExternalID] = true
		out = append(out, p)
		return nil
	})
	return out, err
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// record is one CSV row with its header, so checks can name fields.
type record struct {
	file   string
	line   int
	index  map[string]int
	fields []string
}

func (r record) get(field string) string { return r.fields[r.index[field]] }

func (r record) fail(field string, err error) error {
	return &RowError{File: r.file, Line: r.line, Field: field, Err: err}
}

// readRows checks the header against want and calls fn for each data row.
func readRows(name string, data []byte, want []string, fn func(line int, r record) error) error {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = len(want)
	header, err := cr.Read()
	if err != nil {
		return &RowError{File: name, Line: 1, Err: fmt.Errorf("header: %w", err)}
	}
	index := make(map[string]int, len(header))
	for i, h := range header {
		index[h] = i
	}
	for _, w := range want {
		if _, ok := index[w]; !ok {
			return &RowError{File: name, Line: 1, Field: w, Err: errors.New("missing column")}
		}
	}
	for {
		fields, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			return &RowError{File: name, Line: line, Err: err}
		}
		if err := fn(line, record{file: name, line: line, index: index, fields: fields}); err != nil {
			return err
		}
	}
}
