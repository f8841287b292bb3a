package db

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"civicmap/errcode"
)

// PlatformInput is a platform as a client writes it: createPlatform's input,
// and the whole new state for updatePlatform. check looks at what needs no
// database (lengths, ranges, the rules of each kind); checkPlatform checks
// codes, places and scope in the write's transaction.
type PlatformInput struct {
	// ExternalID is required to create; an update may repeat it but not change it.
	ExternalID    *string
	Kind          PlatformKind
	Name          string
	OrganiserCode string
	TownshipCode  string
	HostName      string
	HostType      HostType
	SectorCode    *string
	Address       *string
	Lon           *float64
	Lat           *float64
	// PositionQuality defaults to REAL when a position is given and is
	// UNKNOWN when none is.
	PositionQuality *PositionQuality
	EstablishedOn   *time.Time
	Status          PlatformStatus
	Provenance      Provenance
	SourceNote      string
	// OutsideSanming skips the check that the point lies in Sanming's
	// counties, for a platform that really sits outside them. A point inside
	// them is still checked against its township.
	OutsideSanming bool
}

// TownshipToleranceMetres is how far a platform may lie outside its township's
// cell. Most cells are APPROXIMATE (Voronoi cells of the township seats), so a
// platform near a real township border can fall in the neighbour's cell; 2 km
// forgives that and still catches a platform put in the wrong township.
const TownshipToleranceMetres = 2000

// positionQuality is the quality to store: the given one, REAL for a given
// position, UNKNOWN without one.
func (in *PlatformInput) positionQuality() PositionQuality {
	switch {
	case in.Lon == nil:
		return PositionUnknown
	case in.PositionQuality != nil:
		return *in.PositionQuality
	}
	return PositionReal
}

// args are the input's values in the order $1…$15 of the write statements.
func (in *PlatformInput) args() []any {
	return []any{in.Kind, in.Name, in.OrganiserCode, in.TownshipCode, in.HostName, in.HostType, in.SectorCode,
		in.Address, in.Lon, in.Lat, in.positionQuality(), in.EstablishedOn, in.Status, in.Provenance, in.SourceNote}
}

// Length limits of the text a client writes: well above any real name or
// note, low enough that nobody stores documents in the directory.
const (
	maxNameChars    = 200
	maxAddressChars = 500
	maxNoteChars    = 2000
)

// externalIDPattern: letters, digits and -_. , as in LG-350424106 or WS-0001.
var externalIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// check refuses what is wrong whatever the database holds, with
// BAD_USER_INPUT naming the field.
func (in *PlatformInput) check() error {
	if in.ExternalID != nil && !externalIDPattern.MatchString(*in.ExternalID) {
		return errcode.Invalid("input.externalId", "%q is not an external ID: letters, digits, '.', '_' and '-', at most 64", *in.ExternalID)
	}
	for _, t := range []struct {
		field, value string
		max          int
		required     bool
	}{
		{"input.name", in.Name, maxNameChars, true},
		{"input.hostName", in.HostName, maxNameChars, true},
		{"input.address", deref(in.Address), maxAddressChars, false},
		{"input.sourceNote", in.SourceNote, maxNoteChars, false},
	} {
		if err := checkText(t.field, t.value, t.max, t.required); err != nil {
			return err
		}
	}
	if err := in.checkEnums(); err != nil {
		return err
	}
	if in.EstablishedOn != nil {
		if err := CheckTime("input.establishedOn", *in.EstablishedOn, time.Now()); err != nil {
			return err
		}
	}
	if err := in.checkSector(); err != nil {
		return err
	}
	return in.checkPosition()
}

// checkEnums refuses values outside the schema's enums. GraphQL checks them
// itself; an import read from a file needs this.
func (in *PlatformInput) checkEnums() error {
	switch {
	case !slices.Contains(PlatformKinds, in.Kind):
		_, err := ParsePlatformKind("input.kind", string(in.Kind))
		return err
	case !slices.Contains([]HostType{HostPublicUnit, HostTownship, HostSubdistrict, HostVillageCommunity, HostEnterprise, HostSectorBody}, in.HostType):
		return errcode.Invalid("input.hostType", "want PUBLIC_UNIT, TOWNSHIP, SUBDISTRICT, VILLAGE_COMMUNITY, ENTERPRISE or SECTOR_BODY, got %q", in.HostType)
	case !slices.Contains(PlatformStatuses, in.Status):
		_, err := ParsePlatformStatus("input.status", string(in.Status))
		return err
	case !slices.Contains([]Provenance{ProvenanceReal, ProvenanceIllustrative}, in.Provenance):
		return errcode.Invalid("input.provenance", "want REAL or ILLUSTRATIVE, got %q", in.Provenance)
	case in.PositionQuality != nil && !slices.Contains([]PositionQuality{PositionReal, PositionApproximate, PositionUnknown}, *in.PositionQuality):
		return errcode.Invalid("input.positionQuality", "want REAL, APPROXIMATE or UNKNOWN, got %q", *in.PositionQuality)
	}
	return nil
}

// checkSector: a sector deliberation hall belongs to a sector, nothing else does.
func (in *PlatformInput) checkSector() error {
	switch {
	case in.Kind == SectorHall && in.SectorCode == nil:
		return errcode.Invalid("input.sectorCode", "a SECTOR_HALL needs the code of its sector (see `sectors`)")
	case in.Kind != SectorHall && in.SectorCode != nil:
		return errcode.Invalid("input.sectorCode", "only a SECTOR_HALL has a sector; leave it out for a %s", in.Kind)
	}
	return nil
}

// checkPosition: lon and lat together and on the globe, or neither; UNKNOWN
// exactly when there is no position.
func (in *PlatformInput) checkPosition() error {
	unknown := in.PositionQuality != nil && *in.PositionQuality == PositionUnknown
	switch {
	case (in.Lon == nil) != (in.Lat == nil):
		return errcode.Invalid("input.lat", "give lon and lat together, or neither when the position is unknown")
	case in.Lon == nil && in.PositionQuality != nil && !unknown:
		return errcode.Invalid("input.positionQuality", "a position that is not given is UNKNOWN, not %s", *in.PositionQuality)
	case in.Lon == nil:
		return nil
	case unknown:
		return errcode.Invalid("input.positionQuality", "a position that is given is REAL or APPROXIMATE, not UNKNOWN")
	}
	if err := CheckLon("input.lon", *in.Lon); err != nil {
		return err
	}
	return CheckLat("input.lat", *in.Lat)
}

// CheckLon refuses a longitude off the globe, or not a number; field names the
// argument or input field it came from.
func CheckLon(field string, lon float64) error {
	if math.IsNaN(lon) || lon < -180 || lon > 180 {
		return errcode.Invalid(field, "longitude must be in [-180, 180], got %v; coordinates are [lon, lat] WGS84", lon)
	}
	return nil
}

// CheckLat refuses a latitude off the globe, or not a number.
func CheckLat(field string, lat float64) error {
	if math.IsNaN(lat) || lat < -90 || lat > 90 {
		return errcode.Invalid(field, "latitude must be in [-90, 90], got %v; coordinates are [lon, lat] WGS84", lat)
	}
	return nil
}

// MaxRadiusMetres bounds every radius: 200 km spans Sanming several times over,
// and a larger circle only costs the database time.
const MaxRadiusMetres = 200_000

// CheckRadiusMetres returns BAD_USER_INPUT naming field for a radius outside
// (0, 200 km], or [0, 200 km] when zero has a meaning (coverage: inside the
// cell only).
func CheckRadiusMetres(field string, metres float64, zeroAllowed bool) error {
	low := "more than 0"
	if zeroAllowed {
		low = "at least 0"
	}
	if math.IsNaN(metres) || metres > MaxRadiusMetres || metres < 0 || metres == 0 && !zeroAllowed {
		return errcode.Invalid(field, "a radius in metres must be %s and at most %d (200 km), got %v", low, MaxRadiusMetres, metres)
	}
	return nil
}

// CheckBBox returns BAD_USER_INPUT for a box off the globe, empty or inside
// out, naming field, or a side as field.west, field.south and so on. West >= east is refused rather
// than read as a box across the antimeridian, which the envelope queries do
// not support and Sanming does not need.
func CheckBBox(field string, b BBox) error {
	for _, err := range []error{
		CheckLon(field+".west", b.West),
		CheckLat(field+".south", b.South),
		CheckLon(field+".east", b.East),
		CheckLat(field+".north", b.North),
	} {
		if err != nil {
			return err
		}
	}
	if b.West >= b.East {
		return errcode.Invalid(field, "west (%v) must be less than east (%v); boxes across the antimeridian are not supported", b.West, b.East)
	}
	if b.South >= b.North {
		return errcode.Invalid(field, "south (%v) must be less than north (%v)", b.South, b.North)
	}
	return nil
}

// CheckVersion refuses a platform version below 1, the version a platform
// starts at: no write could expect it.
func CheckVersion(field string, version int) error {
	if version < 1 {
		return errcode.Invalid(field, "a platform's version is 1 or more, got %d: read the platform and give its version", version)
	}
	return nil
}

// checkText refuses text longer than max characters, or blank when required.
func checkText(field, s string, max int, required bool) error {
	if n := utf8.RuneCountInString(s); n > max {
		return errcode.Invalid(field, "at most %d characters, got %d", max, n)
	}
	if required && strings.TrimSpace(s) == "" {
		return errcode.Invalid(field, "must not be empty")
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Input returns the input that writes p as it is: an update with it changes
// nothing but the version.
func (p *Platform) Input() PlatformInput {
	ext, quality := p.ExternalID, p.PositionQuality
	return PlatformInput{ExternalID: &ext, Kind: p.Kind, Name: p.Name, OrganiserCode: p.OrganiserCode,
		TownshipCode: p.TownshipCode, HostName: p.HostName, HostType: p.HostType, SectorCode: p.SectorCode,
		Address: p.Address, Lon: p.Lon, Lat: p.Lat, PositionQuality: &quality, EstablishedOn: p.EstablishedOn,
		Status: p.Status, Provenance: p.Provenance, SourceNote: p.SourceNote}
}
