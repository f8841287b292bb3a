package db

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"civicmap/errcode"
)

// ImportRow is one platform of an import: the platform as it should be, and
// the version the importer last saw of it (from an export), if any.
type ImportRow struct {
	Platform        PlatformInput
	ExpectedVersion *int
	// Where is the row's place in its file ("line 3", "feature 12"), for
	// errors; "" for rows given over GraphQL.
	Where string
}

// ImportReport says what an import did, or would do in a dry run.
type ImportReport struct {
	Created, Updated, Unchanged int
	DryRun                      bool
}

// MaxImportRows bounds one import: many times the directory's size, and one
// transaction's worth of row locks and change rows.
const MaxImportRows = 20000

// platformByExternalIDSQL finds the platform an import row is about, deleted or not.
const platformByExternalIDSQL = `SELECT id, deleted_at IS NOT NULL FROM platform WHERE external_id = $1`

// errDryRun rolls a dry run back after it has done everything.
var errDryRun = errors.New("dry run")

// ImportPlatforms writes every row in one transaction, all or nothing: a row
// whose external ID is new creates a platform, one that differs from its
// platform updates it (CONFLICT when ExpectedVersion is given and no longer
// current), one that does not differ changes nothing. Platforms that no row
// names are left alone. Each row is checked as createPlatform and
// updatePlatform check their input; the first failing row fails the import
// with its error, the field renamed rows[i].platform.… and the message naming
// the row. A dry run does it all and rolls back.
func (db *DB) ImportPlatforms(ctx context.Context, w Writer, rows []ImportRow, dryRun bool) (ImportReport, error) {
	rep := ImportReport{DryRun: dryRun}
	if len(rows) > MaxImportRows {
		return rep, errcode.Invalid("rows", "at most %d rows in one import, got %d: split the file", MaxImportRows, len(rows))
	}
	if err := checkDuplicates(rows); err != nil {
		return rep, fmt.Errorf("import platforms: %w", err)
	}
	err := db.write(ctx, w, func(tx pgx.Tx) error {
		for i := range rows {
			if err := importRow(ctx, tx, w, &rows[i], &rep); err != nil {
				return rowError(i, &rows[i], err)
			}
		}
		if dryRun {
			return errDryRun
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return ImportReport{DryRun: dryRun}, fmt.Errorf("import platforms: %w", err)
	}
	return rep, nil
}

func importRow(ctx context.Context, tx pgx.Tx, w Writer, row *ImportRow, rep *ImportReport) error {
	in := &row.Platform
	if in.ExternalID == nil {
		return errcode.Invalid("input.externalId", "an imported platform needs its external ID, which says which platform it is")
	}
	var id int64
	var deleted bool
	err := tx.QueryRow(ctx, platformByExternalIDSQL, *in.ExternalID).Scan(&id, &deleted)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if _, err := createIn(ctx, tx, w, in); err != nil {
			return err
		}
		rep.Created++
		return nil
	case err != nil:
		return err
	case deleted:
		return &errcode.Error{Code: errcode.Conflict, Field: "input.externalId",
			Message: fmt.Sprintf("platform %s is deleted: restore it (restorePlatform) before importing it", *in.ExternalID)}
	}
	current, err := queryOne[Platform](ctx, tx, platformsByIDSQL, []int64{id})
	if err != nil {
		return err
	}
	if in.sameAs(current) {
		rep.Unchanged++
		return nil
	}
	expected := current.Version
	if row.ExpectedVersion != nil {
		expected = *row.ExpectedVersion
	}
	if _, err := updateIn(ctx, tx, w, id, in, expected); err != nil {
		return err
	}
	rep.Updated++
	return nil
}

// checkDuplicates refuses two rows of one platform: which of them should win
// is for the importer to say.
func checkDuplicates(rows []ImportRow) error {
	first := map[string]int{}
	for i := range rows {
		ext := rows[i].Platform.ExternalID
		if ext == nil {
			continue
		}
		if j, ok := first[*ext]; ok {
			return rowError(i, &rows[i], errcode.Invalid("input.externalId", "platform %s comes twice, also in %s: give each platform once",
				*ext, rowName(j, &rows[j])))
		}
		first[*ext] = i
	}
	return nil
}

// rowName names a row in a message: rows[i], with its place in the file and
// its external ID when known.
func rowName(i int, row *ImportRow) string {
	var about []string
	if row.Where != "" {
		about = append(about, row.Where)
	}
	if row.Platform.ExternalID != nil {
		about = append(about, *row.Platform.ExternalID)
	}
	if len(about) == 0 {
		return fmt.Sprintf("rows[%d]", i)
	}
	return fmt.Sprintf("rows[%d] (%s)", i, strings.Join(about, ", "))
}

// rowError names the row in err: its field becomes rows[i].platform.… (or
// rows[i].expectedVersion) and its message starts with the row.
func rowError(i int, row *ImportRow, err error) error {
	where := rowName(i, row)
	var e *errcode.Error
	if !errors.As(err, &e) {
		return fmt.Errorf("%s: %w", where, err)
	}
	field := e.Field
	switch {
	case strings.HasPrefix(field, "input."):
		field = fmt.Sprintf("rows[%d].platform.%s", i, strings.TrimPrefix(field, "input."))
	case field == "expectedVersion":
		field = fmt.Sprintf("rows[%d].expectedVersion", i)
	}
	return &errcode.Error{Code: e.Code, Field: field, Message: where + ": " + e.Message, Extensions: e.Extensions, Err: e.Err}
}

// sameAs reports whether writing in over p would change nothing.
func (in *PlatformInput) sameAs(p *Platform) bool {
	ext, quality := p.ExternalID, p.PositionQuality
	cur := PlatformInput{ExternalID: &ext, Kind: p.Kind, Name: p.Name, OrganiserCode: p.OrganiserCode,
		TownshipCode: p.TownshipCode, HostName: p.HostName, HostType: p.HostType, SectorCode: p.SectorCode,
		Address: p.Address, Lon: p.Lon, Lat: p.Lat, PositionQuality: &quality, EstablishedOn: p.EstablishedOn,
		Status: p.Status, Provenance: p.Provenance, SourceNote: p.SourceNote}
	return fmt.Sprint(in.comparable()) == fmt.Sprint(cur.comparable())
}

// comparable is what a write of in stores, with pointers followed, so that
// two inputs can be compared.
func (in *PlatformInput) comparable() []any {
	var date any
	if in.EstablishedOn != nil {
		date = in.EstablishedOn.Format(time.DateOnly)
	}
	return []any{in.Kind, in.Name, in.OrganiserCode, in.TownshipCode, in.HostName, in.HostType, opt(in.SectorCode),
		opt(in.Address), opt(in.Lon), opt(in.Lat), in.positionQuality(), date, in.Status, in.Provenance, in.SourceNote}
}

// opt follows a pointer; nil stays nil, so it differs from any value.
func opt[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
