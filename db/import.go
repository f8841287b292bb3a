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
	// CreatedAt and UpdatedAt are the platform's history as the file
	// records it, nil when it does not. A platform the import creates keeps
	// them, so that a directory restored or copied from an export is the
	// same; an update is a new change here, at the import's time.
	CreatedAt, UpdatedAt *time.Time
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

// importTargetsSQL finds the platforms an import's rows are about, deleted
// or not, by their external IDs ($1).
const importTargetsSQL = `SELECT p.deleted_at IS NOT NULL AS deleted, ` + platformColumns + `
FROM platform p JOIN township t ON t.code = p.township_code WHERE p.external_id = ANY($1::text[])`

// importTarget is a row of the answer of importTargetsSQL.
type importTarget struct {
	Deleted bool `db:"deleted"`
	Platform
}

// importBatch is how many writes go to the database in one round trip. Each
// row's write is the statement createPlatform or updatePlatform runs.
const importBatch = 500

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
		targets, err := importTargets(ctx, tx, rows)
		if err != nil {
			return err
		}
		if err := checkRows(ctx, tx, w, rows, targets); err != nil {
			return err
		}
		for from := 0; from < len(rows); from += importBatch {
			if err := writeRows(ctx, tx, w, rows, targets, from, min(from+importBatch, len(rows)), &rep); err != nil {
				return err
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

// importTargets returns the platforms that rows name, by external ID.
func importTargets(ctx context.Context, tx pgx.Tx, rows []ImportRow) (map[string]*importTarget, error) {
	ids := make([]string, 0, len(rows))
	for i := range rows {
		if ext := rows[i].Platform.ExternalID; ext != nil {
			ids = append(ids, *ext)
		}
	}
	ts, err := queryRows[importTarget](ctx, tx, importTargetsSQL, ids)
	if err != nil {
		return nil, fmt.Errorf("look up the platforms of the rows: %w", err)
	}
	targets := make(map[string]*importTarget, len(ts))
	for i := range ts {
		targets[ts[i].ExternalID] = &ts[i]
	}
	return targets, nil
}

// checkRows checks every row as createPlatform and updatePlatform check their
// input, and refuses a row of a deleted platform; it returns the error of the
// first row that fails, whichever check fails it. The checks that need no
// database stop at the first bad row; the database then checks the rows
// before it, whose values it can take, in one statement.
//
// A row the same as its live platform writes nothing and is not checked, and
// a row that keeps its platform's position and township skips the location
// checks: that place was accepted when it was written, perhaps with
// outsideSanming, which an export does not carry, so an export imports back.
func checkRows(ctx context.Context, tx pgx.Tx, w Writer, rows []ImportRow, targets map[string]*importTarget) error {
	var todo []int
	bad, badErr := 0, error(nil)
	for i := range rows {
		if rows[i].target(targets).unchangedBy(&rows[i].Platform) {
			continue
		}
		if err := rows[i].check(); err != nil {
			bad, badErr = i, err
			break
		}
		todo = append(todo, i)
	}
	ins := make([]*PlatformInput, len(todo))
	for k, i := range todo {
		ins[k] = &rows[i].Platform
	}
	checks, err := checkPlatforms(ctx, tx, ins, w.Scope)
	if err != nil {
		return err
	}
	for k, i := range todo {
		in, t := ins[k], rows[i].target(targets)
		if err := checks[k].verdict(in, w.Scope, t == nil || !t.samePlace(in)); err != nil {
			return rowError(i, &rows[i], err)
		}
		if t != nil && t.Deleted {
			return rowError(i, &rows[i], &errcode.Error{Code: errcode.Conflict, Field: "input.externalId",
				Message: fmt.Sprintf("platform %s is deleted: restore it (restorePlatform) before importing it", *in.ExternalID)})
		}
	}
	if badErr != nil {
		return rowError(bad, &rows[bad], badErr)
	}
	return nil
}

// target is the platform row names, nil for a new one (or a row without an
// external ID, which check refuses).
func (row *ImportRow) target(targets map[string]*importTarget) *importTarget {
	if row.Platform.ExternalID == nil {
		return nil
	}
	return targets[*row.Platform.ExternalID]
}

// unchangedBy reports whether t is a live platform that writing in over would
// not change; false for nil, a new platform.
func (t *importTarget) unchangedBy(in *PlatformInput) bool {
	return t != nil && !t.Deleted && in.sameAs(&t.Platform)
}

// samePlace reports whether in keeps t's position and township.
func (t *importTarget) samePlace(in *PlatformInput) bool {
	return opt(in.Lon) == opt(t.Lon) && opt(in.Lat) == opt(t.Lat) && in.TownshipCode == t.TownshipCode
}

// writeRows writes rows[from:to], checked, in one round trip: those that
// change anything, with the statements of createPlatform and updatePlatform.
func writeRows(ctx context.Context, tx pgx.Tx, w Writer, rows []ImportRow, targets map[string]*importTarget, from, to int, rep *ImportReport) error {
	b := &pgx.Batch{}
	for i := from; i < to; i++ {
		queueImport(b, w, i, rows, targets[*rows[i].Platform.ExternalID], rep)
	}
	err := tx.SendBatch(ctx, b).Close()
	if missed := (*updateMissed)(nil); errors.As(err, &missed) {
		return rowError(missed.i, &rows[missed.i], refused(ctx, tx, w, missed.id, missed.expected, false))
	}
	return err
}

// check is PlatformInput.check for an import row, which must name its
// platform and whose history, if given, must be in order.
func (row *ImportRow) check() error {
	switch {
	case row.Platform.ExternalID == nil:
		return errcode.Invalid("input.externalId", "an imported platform needs its external ID, which says which platform it is")
	case row.UpdatedAt != nil && row.CreatedAt == nil:
		return errcode.Invalid("updatedAt", "give createdAt with updatedAt, or neither: a platform created without its history is created and updated now")
	case row.UpdatedAt != nil && row.UpdatedAt.Before(*row.CreatedAt):
		return errcode.Invalid("updatedAt", "%s is before createdAt %s", row.UpdatedAt.Format(time.RFC3339Nano), row.CreatedAt.Format(time.RFC3339Nano))
	case row.ExpectedVersion != nil:
		// A row that creates its platform does not use it, so it is checked here.
		if err := CheckVersion("expectedVersion", *row.ExpectedVersion); err != nil {
			return err
		}
	}
	now := time.Now()
	for _, t := range []struct {
		field string
		at    *time.Time
	}{{"createdAt", row.CreatedAt}, {"updatedAt", row.UpdatedAt}} {
		if t.at == nil {
			continue
		}
		if err := CheckTime(t.field, *t.at, now); err != nil {
			return err
		}
	}
	return row.Platform.check()
}

// queueImport queues the write of rows[i] (whose platform is t, nil for a new
// one, never a deleted one) on b, if it changes anything, and counts it. The
// write's callback turns its failure into the row's error.
func queueImport(b *pgx.Batch, w Writer, i int, rows []ImportRow, t *importTarget, rep *ImportReport) {
	row := &rows[i]
	in := &row.Platform
	switch {
	case t == nil:
		b.Queue(createPlatformSQL, in.createArgs(w, row.CreatedAt, row.UpdatedAt)...).QueryRow(func(r pgx.Row) error {
			var id int64
			if err := createFailed(r.Scan(&id), w, in); err != nil {
				return rowError(i, row, err)
			}
			return nil
		})
		rep.Created++
	case in.sameAs(&t.Platform):
		rep.Unchanged++
	default:
		expected := t.Version
		if row.ExpectedVersion != nil {
			expected = *row.ExpectedVersion
		}
		b.Queue(updatePlatformSQL, in.updateArgs(w, t.ID, expected)...).QueryRow(func(r pgx.Row) error {
			var externalID string
			err := r.Scan(&externalID)
			if errors.Is(err, pgx.ErrNoRows) {
				return &updateMissed{i: i, id: t.ID, expected: expected}
			}
			if err != nil {
				return rowError(i, row, uniqueConflict(err, ""))
			}
			return nil
		})
		rep.Updated++
	}
}

// updateMissed is an update of an import row that matched no row; refused
// says why, once the batch is done and the transaction free to ask.
type updateMissed struct {
	i        int
	id       int64
	expected int
}

func (u *updateMissed) Error() string { return fmt.Sprintf("rows[%d]: the update matched no row", u.i) }

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
// rows[i].expectedVersion, rows[i].createdAt…) and its message starts with
// the row.
func rowError(i int, row *ImportRow, err error) error {
	where := rowName(i, row)
	var e *errcode.Error
	if !errors.As(err, &e) {
		// Not the row's fault: the database failed while writing it.
		return fmt.Errorf("%s while the import was at %s: %w", databaseFailure(err), where, err)
	}
	field := e.Field
	switch {
	case strings.HasPrefix(field, "input."):
		field = fmt.Sprintf("rows[%d].platform.%s", i, strings.TrimPrefix(field, "input."))
	case field != "":
		field = fmt.Sprintf("rows[%d].%s", i, field)
	}
	return &errcode.Error{Code: e.Code, Field: field, Message: where + ": " + e.Message, Extensions: e.Extensions, Err: e.Err}
}

// databaseFailure says what went wrong in the database, for errors no row
// caused.
func databaseFailure(err error) string {
	switch errcode.Classify(err) {
	case errcode.ServiceUnavailable:
		return "the database went away"
	case errcode.Timeout:
		return "a statement took too long"
	}
	return "the database failed"
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
