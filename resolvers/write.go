package resolvers

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"civicmap/db"
	"civicmap/errcode"
)

// Length limits of the text a client writes: well above any real name or
// note, low enough that nobody stores documents in the directory.
const (
	maxNameChars    = 200
	maxAddressChars = 500
	maxNoteChars    = 2000
)

// externalIDPattern: letters, digits and -_. , as in LG-350424106 or WS-0001.
var externalIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// checkPlatformInput checks what needs no database: formats, lengths, ranges
// and the rules of each kind. The write checks codes and places in its
// transaction.
func checkPlatformInput(in *db.PlatformInput) error {
	if in.ExternalID != nil {
		if err := checkCode("input.externalId", *in.ExternalID, externalIDPattern, "an external ID: letters, digits, '.', '_' and '-', at most 64"); err != nil {
			return err
		}
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
	if err := checkCode("input.organiserCode", in.OrganiserCode, countyCode, "an organiser code: 350400 (the city CPPCC) or a county code"); err != nil {
		return err
	}
	if err := checkCode("input.townshipCode", in.TownshipCode, townshipCode, "a 9-digit township code such as 350424106"); err != nil {
		return err
	}
	if err := checkSector(in); err != nil {
		return err
	}
	return checkPosition(in)
}

// checkSector: a sector deliberation hall belongs to a sector, nothing else does.
func checkSector(in *db.PlatformInput) error {
	switch {
	case in.Kind == db.SectorHall && in.SectorCode == nil:
		return errcode.Invalid("input.sectorCode", "a SECTOR_HALL needs the code of its sector (see `sectors`)")
	case in.Kind != db.SectorHall && in.SectorCode != nil:
		return errcode.Invalid("input.sectorCode", "only a SECTOR_HALL has a sector; leave it out for a %s", in.Kind)
	case in.SectorCode != nil:
		return checkCode("input.sectorCode", *in.SectorCode, sectorCode, "a sector code such as MINMENG (see `sectors`)")
	}
	return nil
}

// checkPosition: lon and lat together and on the globe, or neither; UNKNOWN
// exactly when there is no position.
func checkPosition(in *db.PlatformInput) error {
	unknown := in.PositionQuality != nil && *in.PositionQuality == db.PositionUnknown
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
	return checkLonLat("input", *in.Lon, *in.Lat)
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
