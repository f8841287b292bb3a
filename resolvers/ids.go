package resolvers

import (
	"context"
	"errors"
	"regexp"
	"strconv"

	"civicmap/db"
	"civicmap/errcode"
	"civicmap/graph/relay"
)

var (
	townshipCode = regexp.MustCompile(`^[0-9]{9}$`)
	sectorCode   = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
)

// checkCode returns BAD_USER_INPUT naming field when code is not of the form re.
func checkCode(field, code string, re *regexp.Regexp, want string) error {
	if !re.MatchString(code) {
		return errcode.Invalid(field, "%q is not %s", code, want)
	}
	return nil
}

// only returns the one row of a lookup by key, or errNoRow. Lookups by a key
// that a request names go straight to the database: a loader would make them
// wait for a batch that no other key joins.
func only[T any](rows []T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errNoRow
	}
	return &rows[0], nil
}

var errNoRow = errors.New("no row")

// notFound turns "no row" into NOT_FOUND with a message naming what
// was looked for; other errors pass through.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, errNoRow) {
		return errcode.Errorf(errcode.NotFound, format, args...)
	}
	return err
}

// parseID splits a global ID, or returns BAD_USER_INPUT naming field.
func parseID(field, id string) (typ, key string, err error) {
	typ, key, ok := relay.ParseID(id)
	if !ok {
		return "", "", errcode.Invalid(field, "%q is not a civicmap ID; use the `id` of a County, Township, Platform or Sector", id)
	}
	return typ, key, nil
}

// platformKeyOf returns the database ID inside a platform's global ID, or
// BAD_USER_INPUT naming field.
func platformKeyOf(field, id string) (int64, error) {
	typ, key, err := parseID(field, id)
	if err != nil {
		return 0, err
	}
	n, convErr := strconv.ParseInt(key, 10, 64)
	if typ != relay.PlatformType || convErr != nil {
		return 0, errcode.Invalid(field, "%q is not the ID of a Platform", id)
	}
	return n, nil
}

// platformByID resolves a platform's global ID.
func (r *Resolver) platformByID(ctx context.Context, field, id string) (*db.Platform, error) {
	n, err := platformKeyOf(field, id)
	if err != nil {
		return nil, err
	}
	p, err := only(r.DB.PlatformsByID(ctx, []int64{n}))
	return p, notFound(err, "no platform has ID %q", id)
}

func (r *Resolver) countyByCode(ctx context.Context, field, code string) (*db.County, error) {
	return r.DB.County(ctx, field, code)
}

func (r *Resolver) townshipByCode(ctx context.Context, field, code string) (*db.Township, error) {
	if err := checkCode(field, code, townshipCode, "a 9-digit township code such as 350424106"); err != nil {
		return nil, err
	}
	t, err := only(r.DB.TownshipsByCode(ctx, []string{code}))
	return t, notFound(err, "%s: no township-level unit of Sanming has code %s", field, code)
}

func (r *Resolver) sectorByCode(ctx context.Context, field, code string) (*db.Sector, error) {
	if err := checkCode(field, code, sectorCode, "a sector code such as MINMENG (see `sectors`)"); err != nil {
		return nil, err
	}
	s, err := only(r.DB.SectorsByCode(ctx, []string{code}))
	return s, notFound(err, "%s: no sector has code %s; see `sectors` for the list", field, code)
}

// node resolves any global ID.
func (r *Resolver) node(ctx context.Context, id string) (relay.Node, error) {
	typ, key, err := parseID("id", id)
	if err != nil {
		return nil, err
	}
	switch typ {
	case relay.CountyType:
		return asNode(r.countyByCode(ctx, "id", key))
	case relay.TownshipType:
		return asNode(r.townshipByCode(ctx, "id", key))
	case relay.PlatformType:
		return asNode(r.platformByID(ctx, "id", id))
	case relay.SectorType:
		return asNode(r.sectorByCode(ctx, "id", key))
	}
	return nil, errcode.Invalid("id", "%q is not a civicmap ID; use the `id` of a County, Township, Platform or Sector", id)
}

// asNode keeps a nil pointer from becoming a non-nil Node.
func asNode[T any](v *T, err error) (relay.Node, error) {
	if err != nil || v == nil {
		return nil, err
	}
	return v, nil
}
