package db

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"civicmap/errcode"
)

// The one front door for the values every way in takes (GraphQL arguments,
// REST parameters, import rows, the seed): each check is written once, here,
// so that a bad value gets the same code and message whichever door it came
// through.

// PlatformKinds are the kinds of platform, in the schema's order.
var PlatformKinds = []PlatformKind{LiaisonGroup, Workstation, SectorHall}

// PlatformKindNames lists the kinds for a message: "LIAISON_GROUP,
// WORKSTATION or SECTOR_HALL".
func PlatformKindNames() string {
	names := make([]string, len(PlatformKinds))
	for i, k := range PlatformKinds {
		names[i] = string(k)
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// ParsePlatformKind returns the kind s names, exactly as the schema spells
// it, or BAD_USER_INPUT naming field.
func ParsePlatformKind(field, s string) (PlatformKind, error) {
	if k := PlatformKind(s); slices.Contains(PlatformKinds, k) {
		return k, nil
	}
	return "", errcode.Invalid(field, "want %s, got %q", PlatformKindNames(), s)
}

// PlatformStatuses are the statuses of a platform, in the schema's order.
var PlatformStatuses = []PlatformStatus{StatusActive, StatusSuspended, StatusClosed}

// ParsePlatformStatus returns the status s names, exactly as the schema
// spells it, or BAD_USER_INPUT naming field.
func ParsePlatformStatus(field, s string) (PlatformStatus, error) {
	if st := PlatformStatus(s); slices.Contains(PlatformStatuses, st) {
		return st, nil
	}
	return "", errcode.Invalid(field, "want ACTIVE, SUSPENDED or CLOSED, got %q", s)
}

// countyCodePattern is the form of a county-level code (GB/T 2260): six
// digits, 350481 for 永安市.
var countyCodePattern = regexp.MustCompile(`^[0-9]{6}$`)

// IsCountyCode reports whether code has the form of a county-level code.
func IsCountyCode(code string) bool { return countyCodePattern.MatchString(code) }

// CheckCountyCode returns BAD_USER_INPUT naming field when code is not of
// the form of a county-level code.
func CheckCountyCode(field, code string) error {
	if !IsCountyCode(code) {
		return errcode.Invalid(field, "%q is not a 6-digit county code such as 350481", code)
	}
	return nil
}

// County returns the county-level unit with code, read for an outside value
// named field: BAD_USER_INPUT when code is malformed, NOT_FOUND when no
// county has it.
func (db *DB) County(ctx context.Context, field, code string) (*County, error) {
	if err := CheckCountyCode(field, code); err != nil {
		return nil, err
	}
	cs, err := db.CountiesByCode(ctx, []string{code})
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, errcode.Errorf(errcode.NotFound, "%s: no county-level unit of Sanming has code %s", field, code)
	}
	return &cs[0], nil
}

// CountyList returns the county-level units with codes, in their order, read
// for an outside list named field (countyCodes) of at most most codes:
// BAD_USER_INPUT naming the list when it is empty or too long, or the
// element (countyCodes[3]) that is malformed or named twice; NOT_FOUND for
// the first code no county has.
func (db *DB) CountyList(ctx context.Context, field string, codes []string, most int) ([]County, error) {
	if len(codes) == 0 {
		return nil, errcode.Invalid(field, "name at least one county, or leave %s out for every county", field)
	}
	if len(codes) > most {
		return nil, errcode.Invalid(field, "at most %d counties in one question, got %d", most, len(codes))
	}
	at := map[string]int{}
	for i, code := range codes {
		if err := CheckCountyCode(fmt.Sprintf("%s[%d]", field, i), code); err != nil {
			return nil, err
		}
		if j, ok := at[code]; ok {
			return nil, errcode.Invalid(fmt.Sprintf("%s[%d]", field, i), "%s is named twice, also at %s[%d]", code, field, j)
		}
		at[code] = i
	}
	found, err := db.CountiesByCode(ctx, codes)
	if err != nil {
		return nil, err
	}
	out := make([]County, len(codes))
	for _, c := range found {
		out[at[c.Code]] = c
	}
	for i, c := range out {
		if c.Code == "" {
			return nil, errcode.Errorf(errcode.NotFound, "%s[%d]: no county-level unit has code %s", field, i, codes[i])
		}
	}
	return out, nil
}

// CheckCoverageKinds returns BAD_USER_INPUT naming field when kinds, the
// kinds of platform a coverage question counts, names none.
func CheckCoverageKinds(field string, kinds []PlatformKind) error {
	if len(kinds) == 0 {
		return errcode.Invalid(field, "name at least one kind of platform: %s", PlatformKindNames())
	}
	return nil
}
