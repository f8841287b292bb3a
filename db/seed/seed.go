// Package seed holds the directory data that civicmap writes itself: the CPPCC
// sectors (界别) and the platforms (liaison groups, workstations, sector halls).
//
// The files are committed CSV, embedded into the binary, so that a load is the
// same on every machine. Four platforms are real (from the source article); the
// rest are illustrative and say so in their provenance and source_note columns.
// A bad row fails a parse with a *rowfile.Error naming the file, line and field.
package seed

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"

	"civicmap/db"
	"civicmap/db/rowfile"
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
	townshipRe    = regexp.MustCompile(`^[0-9]{9}$`)
	hostTypes     = set("PUBLIC_UNIT", "TOWNSHIP", "SUBDISTRICT", "VILLAGE_COMMUNITY", "ENTERPRISE", "SECTOR_BODY")
	statuses      = set("ACTIVE", "SUSPENDED", "CLOSED")
	provenances   = set("REAL", "ILLUSTRATIVE")
	kindIDPrefix  = map[db.PlatformKind]string{db.LiaisonGroup: "LG-", db.Workstation: "WS-", db.SectorHall: "SH-"}
	errEmpty      = errors.New("must not be empty")
	errDuplicate  = errors.New("duplicate value")
	errBadPattern = errors.New("has the wrong form")

	errIllustrativeDate   = errors.New("must be empty on an ILLUSTRATIVE record: the source article gives no such date")
	errIllustrativeStatus = errors.New("must be ACTIVE on an ILLUSTRATIVE record: the source article reports its platforms as working")
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
	err := rowfile.ReadCSV(name, bytes.NewReader(data), sectorHeader, func(r rowfile.Row) error {
		s := Sector{Code: r.Get("code"), Name: r.Get("name"), NameEn: r.Get("name_en")}
		switch {
		case !sectorCodeRe.MatchString(s.Code):
			return r.Fail("code", errBadPattern)
		case codes[s.Code]:
			return r.Fail("code", errDuplicate)
		case s.Name == "":
			return r.Fail("name", errEmpty)
		case names[s.Name]:
			return r.Fail("name", errDuplicate)
		case s.NameEn == "":
			return r.Fail("name_en", errEmpty)
		}
		ord, err := strconv.Atoi(r.Get("ord"))
		if err != nil {
			return r.Fail("ord", err)
		}
		if ords[ord] {
			return r.Fail("ord", errDuplicate)
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
	err := rowfile.ReadCSV(name, bytes.NewReader(data), platformHeader, func(r rowfile.Row) error {
		p := Platform{
			ExternalID: r.Get("external_id"), Kind: r.Get("kind"), Name: r.Get("name"),
			OrganiserCode: r.Get("organiser_code"), TownshipCode: r.Get("township_code"),
			HostName: r.Get("host_name"), HostType: r.Get("host_type"),
			SectorCode: optional(r.Get("sector_code")), Address: optional(r.Get("address")),
			Status: r.Get("status"), Provenance: r.Get("provenance"), SourceNote: r.Get("source_note"),
		}
		switch {
		case !externalIDRe.MatchString(p.ExternalID):
			return r.Fail("external_id", errBadPattern)
		case ids[p.ExternalID]:
			return r.Fail("external_id", errDuplicate)
		case !slices.Contains(db.PlatformKinds, db.PlatformKind(p.Kind)):
			return r.Fail("kind", fmt.Errorf("unknown kind %q", p.Kind))
		case p.ExternalID[:3] != kindIDPrefix[db.PlatformKind(p.Kind)]:
			return r.Fail("external_id", fmt.Errorf("prefix does not match kind %s", p.Kind))
		case p.Name == "":
			return r.Fail("name", errEmpty)
		case !db.IsCountyCode(p.OrganiserCode):
			return r.Fail("organiser_code", errBadPattern)
		case !townshipRe.MatchString(p.TownshipCode):
			return r.Fail("township_code", errBadPattern)
		case p.HostName == "":
			return r.Fail("host_name", errEmpty)
		case !hostTypes[p.HostType]:
			return r.Fail("host_type", fmt.Errorf("unknown host type %q", p.HostType))
		case (p.Kind == "SECTOR_HALL") != (p.SectorCode != nil):
			return r.Fail("sector_code", errors.New("required for SECTOR_HALL and only there"))
		case !statuses[p.Status]:
			return r.Fail("status", fmt.Errorf("unknown status %q", p.Status))
		case !provenances[p.Provenance]:
			return r.Fail("provenance", fmt.Errorf("unknown provenance %q", p.Provenance))
		case p.SourceNote == "":
			return r.Fail("source_note", errEmpty)
		// An ILLUSTRATIVE record claims nothing the source article does not
		// support (issue 15): the article dates nothing with a year and
		// reports its platforms as working, so no date and no other status.
		case p.Provenance == "ILLUSTRATIVE" && r.Get("established_on") != "":
			return r.Fail("established_on", errIllustrativeDate)
		case p.Provenance == "ILLUSTRATIVE" && p.Status != "ACTIVE":
			return r.Fail("status", errIllustrativeStatus)
		}
		if v := r.Get("established_on"); v != "" {
			d, err := time.Parse(time.DateOnly, v)
			if err != nil {
				return r.Fail("established_on", err)
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
