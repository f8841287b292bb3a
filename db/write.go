package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"civicmap/errcode"
)

// The write statements. $1…$15 are PlatformInput.args; each bumps version and
// updated_at. A create takes created_at and updated_at from $18 and $19 when an
// import carries them, so that a platform keeps its own history; else now().
//
// Each has the writer's scope in its WHERE (platform_in_scope, migration 0003;
// NULL scope for an admin) for the row as it is (update, delete, restore) and
// as it will be (create, update), so that no editor can write outside its scope
// whatever the Go code above it does.
const (
	createPlatformSQL = `
INSERT INTO platform (kind, name, organiser_code, township_code, host_name, host_type, sector_code, address,
                      location, position_quality, established_on, status, provenance, source_note, external_id,
                      created_at, updated_at)
SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::text,
       ST_SetSRID(ST_MakePoint($9::float8, $10::float8), 4326), $11::text, $12::date, $13::text, $14::text,
       $15::text, $16::text, coalesce($18::timestamptz, now()), coalesce($19::timestamptz, now())
WHERE platform_in_scope($17::text, $3::text, $4::text)
RETURNING id`

	updatePlatformSQL = `
UPDATE platform p SET kind = $1, name = $2, organiser_code = $3, township_code = $4, host_name = $5,
       host_type = $6, sector_code = $7, address = $8, location = ST_SetSRID(ST_MakePoint($9::float8, $10::float8), 4326),
       position_quality = $11, established_on = $12, status = $13, provenance = $14, source_note = $15,
       version = p.version + 1, updated_at = now()
WHERE p.id = $16 AND p.version = $17 AND p.deleted_at IS NULL
  AND platform_in_scope($18::text, p.organiser_code, p.township_code)
  AND platform_in_scope($18::text, $3::text, $4::text)
RETURNING p.external_id`

	deletePlatformSQL = `
UPDATE platform p SET deleted_at = now(), version = p.version + 1, updated_at = now()
WHERE p.id = $1 AND p.version = $2 AND p.deleted_at IS NULL
  AND platform_in_scope($3::text, p.organiser_code, p.township_code)
RETURNING p.id, p.external_id, p.deleted_at, p.version`

	restorePlatformSQL = `
UPDATE platform p SET deleted_at = NULL, version = p.version + 1, updated_at = now()
WHERE p.id = $1 AND p.version = $2 AND p.deleted_at IS NOT NULL
  AND platform_in_scope($3::text, p.organiser_code, p.township_code)
RETURNING p.id`

	// writeRefusedSQL says why a write of one platform matched no row.
	writeRefusedSQL = `
SELECT version, deleted_at IS NOT NULL AS deleted, platform_in_scope($2::text, organiser_code, township_code) AS in_scope
FROM platform WHERE id = $1`

	// checkPlatformsSQL checks inputs against the reference data, set-based:
	// $1 organisers, $2 townships, $3 sectors, $4 lons, $5 lats (one element
	// per input), $6 scope; one row per input, n its place from 1. A mutation
	// checks one input, an import all its rows in one statement. A township
	// without a cell (its position UNKNOWN) is measured by its county instead.
	//
	// The geometry is the cost, so the inputs go through in township order:
	// PostGIS then keeps one prepared cell (and county) for all the points in
	// it instead of preparing a polygon per point. A point its cell covers is
	// 0 m from it, and one its own county covers is in Sanming, so the
	// geodesic distance and the search of every county are left for the
	// points outside (the covered test is planar, the distance geodesic: they
	// differ by far less than a metre over cell edges of a few km).
	checkPlatformsSQL = `
SELECT i.n,
       o.code IS NOT NULL AS organiser_known,
       t.code IS NOT NULL AS township_known,
       (i.sector IS NULL OR EXISTS (SELECT 1 FROM sector s WHERE s.code = i.sector)) AS sector_known,
       coalesce(o.level = 'CITY' OR o.county_code = t.county_code, false) AS organiser_fits,
       coalesce(t.county_code, '') AS county_code,
       (i.pt IS NULL OR coalesce(ST_Covers(c.boundary, i.pt), false)
        OR EXISTS (SELECT 1 FROM county k WHERE ST_Covers(k.boundary, i.pt))) AS in_sanming,
       CASE WHEN i.pt IS NULL OR ST_Covers(coalesce(t.boundary, c.boundary), i.pt) THEN 0
            ELSE coalesce(ST_Distance(coalesce(t.boundary, c.boundary)::geography, i.pt::geography), 0)
       END AS metres_from_township,
       coalesce(platform_in_scope($6::text, i.organiser, i.township), false) AS in_scope
FROM (SELECT u.n, u.organiser, u.township, u.sector, ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326) AS pt
      FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[]) WITH ORDINALITY
           AS u(organiser, township, sector, lon, lat, n)
      ORDER BY u.township, u.n) i
LEFT JOIN organiser o ON o.code = i.organiser
LEFT JOIN township t ON t.code = i.township
LEFT JOIN county c ON c.code = t.county_code`
)

// Writer is who writes and what it may write: the actor the change feed
// records, and the scope (nil: everything; else the city's or a county's code).
type Writer struct {
	Actor Actor
	Scope *string
}

// Writer returns the key as a writer. A reader key gets FORBIDDEN.
func (k *APIKey) Writer() (Writer, error) {
	switch k.Role {
	case RoleAdmin:
		return Writer{Actor: k.Actor()}, nil
	case RoleEditor:
		return Writer{Actor: k.Actor(), Scope: k.Scope}, nil
	}
	return Writer{}, errcode.Errorf(errcode.Forbidden, "key %d is a %s key, which cannot write; ask for an editor key", k.ID, k.Role)
}

// write runs fn in a transaction on the primary that records w as the writer
// in the change feed, and notes its WAL position for the request's token.
func (db *DB) write(ctx context.Context, w Writer, fn func(tx pgx.Tx) error) error {
	ctx = onPrimary(ctx)
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := SetActor(ctx, tx, w.Actor); err != nil {
			return err
		}
		return fn(tx)
	})
	if err == nil {
		db.noteWrite(ctx)
	}
	return err
}

// CreatePlatform creates a platform. It returns BAD_USER_INPUT naming the
// field for a bad value, an unknown code or a location that does not fit,
// FORBIDDEN outside the writer's scope, and CONFLICT for a taken external ID
// or a second liaison group in a township.
func (db *DB) CreatePlatform(ctx context.Context, w Writer, in PlatformInput) (*Platform, error) {
	var p *Platform
	err := db.write(ctx, w, func(tx pgx.Tx) error {
		var err error
		p, err = createIn(ctx, tx, w, &in)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create platform: %w", err)
	}
	return p, nil
}

func createIn(ctx context.Context, tx pgx.Tx, w Writer, in *PlatformInput) (*Platform, error) {
	if in.ExternalID == nil {
		return nil, errcode.Invalid("input.externalId", "a new platform needs an external ID, the stable key that integrators sync by")
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	if err := checkPlatform(ctx, tx, in, w.Scope); err != nil {
		return nil, err
	}
	var id int64
	err := tx.QueryRow(ctx, createPlatformSQL, in.createArgs(w, nil, nil)...).Scan(&id)
	if err := createFailed(err, w, in); err != nil {
		return nil, err
	}
	return queryOne[Platform](ctx, tx, platformsByIDSQL, []int64{id})
}

// createArgs are the arguments of createPlatformSQL; createdAt and updatedAt
// nil are the time of the write.
func (in *PlatformInput) createArgs(w Writer, createdAt, updatedAt *time.Time) []any {
	return append(in.args(), in.ExternalID, w.Scope, createdAt, updatedAt)
}

// createFailed explains the error of createPlatformSQL: no row is the scope's
// refusal, a unique violation a CONFLICT.
func createFailed(err error, w Writer, in *PlatformInput) error {
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return errcode.Errorf(errcode.Forbidden, "%s may not write a platform in township %s (%s)", w.Actor.Name, in.TownshipCode, scopeName(w.Scope))
	case err != nil:
		return uniqueConflict(err, "")
	}
	return nil
}

// UpdatePlatform replaces platform id with in if its version is still
// expectedVersion. It returns what CreatePlatform returns, BAD_USER_INPUT
// for a version below 1 too, NOT_FOUND for no such (or a deleted) platform,
// and CONFLICT with the current version for a stale expectedVersion.
func (db *DB) UpdatePlatform(ctx context.Context, w Writer, id int64, in PlatformInput, expectedVersion int) (*Platform, error) {
	if err := CheckVersion("expectedVersion", expectedVersion); err != nil {
		return nil, err
	}
	var p *Platform
	err := db.write(ctx, w, func(tx pgx.Tx) error {
		var err error
		p, err = updateIn(ctx, tx, w, id, &in, expectedVersion)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update platform %d: %w", id, err)
	}
	return p, nil
}

func updateIn(ctx context.Context, tx pgx.Tx, w Writer, id int64, in *PlatformInput, expectedVersion int) (*Platform, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	if err := checkPlatform(ctx, tx, in, w.Scope); err != nil {
		return nil, err
	}
	var externalID string
	err := tx.QueryRow(ctx, updatePlatformSQL, in.updateArgs(w, id, expectedVersion)...).Scan(&externalID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, refused(ctx, tx, w, id, expectedVersion, false)
	}
	if err != nil {
		return nil, uniqueConflict(err, "")
	}
	if in.ExternalID != nil && *in.ExternalID != externalID {
		return nil, errcode.Invalid("input.externalId", "the external ID of a platform never changes: it is %s", externalID)
	}
	return queryOne[Platform](ctx, tx, platformsByIDSQL, []int64{id})
}

// updateArgs are the arguments of updatePlatformSQL.
func (in *PlatformInput) updateArgs(w Writer, id int64, expectedVersion int) []any {
	return append(in.args(), id, expectedVersion, w.Scope)
}

// DeletePlatform deletes platform id if its version is still expectedVersion,
// leaving a tombstone. It returns BAD_USER_INPUT, NOT_FOUND, FORBIDDEN or
// CONFLICT as UpdatePlatform does.
func (db *DB) DeletePlatform(ctx context.Context, w Writer, id int64, expectedVersion int) (*Tombstone, error) {
	if err := CheckVersion("expectedVersion", expectedVersion); err != nil {
		return nil, err
	}
	var t *Tombstone
	err := db.write(ctx, w, func(tx pgx.Tx) error {
		var err error
		t, err = queryOne[Tombstone](ctx, tx, deletePlatformSQL, id, expectedVersion, w.Scope)
		if errors.Is(err, pgx.ErrNoRows) {
			return refused(ctx, tx, w, id, expectedVersion, false)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("delete platform %d: %w", id, err)
	}
	return t, nil
}

// RestorePlatform brings a deleted platform back if its version is still
// expectedVersion. It returns BAD_USER_INPUT for a version below 1, NOT_FOUND
// (no such platform, or one not deleted), FORBIDDEN, and CONFLICT for a stale version or a liaison group
// whose township has another one now.
func (db *DB) RestorePlatform(ctx context.Context, w Writer, id int64, expectedVersion int) (*Platform, error) {
	if err := CheckVersion("expectedVersion", expectedVersion); err != nil {
		return nil, err
	}
	var p *Platform
	err := db.write(ctx, w, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, restorePlatformSQL, id, expectedVersion, w.Scope).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return refused(ctx, tx, w, id, expectedVersion, true)
		}
		if err != nil {
			return uniqueConflict(err, "id")
		}
		p, err = queryOne[Platform](ctx, tx, platformsByIDSQL, []int64{id})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("restore platform %d: %w", id, err)
	}
	return p, nil
}

// refused explains a write that matched no row: the platform is missing (or
// deleted, or not deleted for a restore), out of the writer's scope, or at
// another version than expected.
func refused(ctx context.Context, tx pgx.Tx, w Writer, id int64, expectedVersion int, wantDeleted bool) error {
	var version int
	var deleted, inScope bool
	err := tx.QueryRow(ctx, writeRefusedSQL, id, w.Scope).Scan(&version, &deleted, &inScope)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return errcode.Errorf(errcode.NotFound, "no platform has ID %d", id)
	case err != nil:
		return err
	case deleted && !wantDeleted:
		return errcode.Errorf(errcode.NotFound, "platform %d is deleted; restorePlatform brings it back", id)
	case !deleted && wantDeleted:
		return errcode.Errorf(errcode.NotFound, "platform %d is not deleted: there is nothing to restore", id)
	case !inScope:
		return errcode.Errorf(errcode.Forbidden, "platform %d is outside the scope of %s (%s)", id, w.Actor.Name, scopeName(w.Scope))
	case version != expectedVersion:
		return &errcode.Error{Code: errcode.Conflict, Field: "expectedVersion",
			Message:    fmt.Sprintf("platform %d is at version %d, not %d: someone changed it; read it again and retry", id, version, expectedVersion),
			Extensions: map[string]any{"currentVersion": version}}
	}
	return fmt.Errorf("platform %d: the write matched no row for no known reason", id)
}

// scopeName shows a scope in a message.
func scopeName(scope *string) string {
	if scope == nil {
		return "everything"
	}
	return "scope " + *scope
}

// platformCheck is one row of the answer of checkPlatformsSQL.
type platformCheck struct {
	N                  int     `db:"n"`
	OrganiserKnown     bool    `db:"organiser_known"`
	TownshipKnown      bool    `db:"township_known"`
	SectorKnown        bool    `db:"sector_known"`
	OrganiserFits      bool    `db:"organiser_fits"`
	CountyCode         string  `db:"county_code"`
	InSanming          bool    `db:"in_sanming"`
	MetresFromTownship float64 `db:"metres_from_township"`
	InScope            bool    `db:"in_scope"`
}

// checkPlatform checks in against the reference data and the key's scope:
// BAD_USER_INPUT naming the field, or FORBIDDEN.
func checkPlatform(ctx context.Context, tx pgx.Tx, in *PlatformInput, scope *string) error {
	cs, err := checkPlatforms(ctx, tx, []*PlatformInput{in}, scope)
	if err != nil {
		return err
	}
	return cs[0].verdict(in, scope, true)
}

// checkPlatforms asks the database about every input in one statement, and
// returns its answers in the order of ins, for verdict.
func checkPlatforms(ctx context.Context, tx pgx.Tx, ins []*PlatformInput, scope *string) ([]platformCheck, error) {
	organisers, townships := make([]string, len(ins)), make([]string, len(ins))
	sectors := make([]*string, len(ins))
	lons, lats := make([]*float64, len(ins)), make([]*float64, len(ins))
	for i, in := range ins {
		organisers[i], townships[i], sectors[i], lons[i], lats[i] = in.OrganiserCode, in.TownshipCode, in.SectorCode, in.Lon, in.Lat
	}
	rows, err := queryRows[platformCheck](ctx, tx, checkPlatformsSQL, organisers, townships, sectors, lons, lats, scope)
	if err != nil {
		return nil, fmt.Errorf("check input: %w", err)
	}
	checks := make([]platformCheck, len(ins))
	for _, c := range rows {
		checks[c.N-1] = c
	}
	return checks, nil
}

// verdict is what the answer of checkPlatformsSQL says of in: nil, or
// BAD_USER_INPUT naming the field, or FORBIDDEN. checkPlace false skips the
// location checks, for a write that keeps a platform's stored place.
func (c *platformCheck) verdict(in *PlatformInput, scope *string, checkPlace bool) error {
	switch {
	case !c.OrganiserKnown:
		return errcode.Invalid("input.organiserCode", "%s is not an organiser: 350400 (the city CPPCC) or a county code", in.OrganiserCode)
	case !c.TownshipKnown:
		return errcode.Invalid("input.townshipCode", "no township-level unit of Sanming has code %s", in.TownshipCode)
	case !c.SectorKnown:
		return errcode.Invalid("input.sectorCode", "no sector has code %s; see `sectors` for the list", *in.SectorCode)
	case !c.OrganiserFits:
		return errcode.Invalid("input.organiserCode", "a platform in township %s is run by the city CPPCC (350400) or by its county's (%s), not by %s",
			in.TownshipCode, c.CountyCode, in.OrganiserCode)
	case !c.InScope:
		return errcode.Errorf(errcode.Forbidden, "a platform of organiser %s in township %s is outside this key's %s",
			in.OrganiserCode, in.TownshipCode, scopeName(scope))
	case !checkPlace:
		return nil
	case !c.InSanming && !in.OutsideSanming:
		return errcode.Invalid("input.lon", "the point (%v, %v) is outside Sanming's counties; coordinates are [lon, lat] WGS84 (set outsideSanming if the platform really is outside)",
			*in.Lon, *in.Lat)
	// outsideSanming overrides only the check above. A point outside every
	// county has no cell of Sanming to be measured against; one inside is
	// held to its township like any other.
	case c.InSanming && c.MetresFromTownship > TownshipToleranceMetres:
		return errcode.Invalid("input.townshipCode", "the point lies %.0f m outside township %s (more than the %d m that approximate township cells allow): pick the township it is in",
			c.MetresFromTownship, in.TownshipCode, TownshipToleranceMetres)
	}
	return nil
}

// The unique constraints a write can hit, and the input field each is about.
var uniqueFields = map[string]string{
	"platform_external_id_key":            "input.externalId",
	"platform_liaison_group_township_key": "input.townshipCode",
}

// uniqueConflict turns a unique violation into CONFLICT naming the field (or
// field, when it is not ""); other errors pass through.
func uniqueConflict(err error, field string) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != uniqueViolation {
		return err
	}
	msg := "another platform already has this value"
	switch pgErr.ConstraintName {
	case "platform_external_id_key":
		msg = "another platform already has this external ID"
	case "platform_liaison_group_township_key":
		msg = "the township already has a liaison group, and a township has one"
	}
	if field == "" {
		field = uniqueFields[pgErr.ConstraintName]
	}
	return &errcode.Error{Code: errcode.Conflict, Field: field, Message: field + ": " + msg, Err: err}
}
