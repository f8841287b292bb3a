package db_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"civicmap/db"
	"civicmap/db/dbtest"
)

// scanned has a field of each kind that collectByName reads itself or leaves
// to pgx, behind an embedded struct as db's rows have.
type scanned struct {
	inner
	Text    string              `db:"text"`
	Kind    db.PlatformKind     `db:"kind"`
	Maybe   *string             `db:"maybe"`
	Quality *db.BoundaryQuality `db:"quality"`
	Big     int64               `db:"big"`
	Small   int                 `db:"small"`
	Float   float64             `db:"float"`
	MaybeF  *float64            `db:"maybe_f"`
	At      time.Time           `db:"at"`
	On      *time.Time          `db:"on"`
	Ok      bool                `db:"ok"`
	Unnamed string
}

type inner struct {
	ID int64 `db:"id"`
}

// TestCollectByNameIsPgx: collectByName scans what pgx's RowToStructByNameLax
// scans, NULLs and every kind of field included, and refuses a NULL where
// pgx does.
func TestCollectByNameIsPgx(t *testing.T) {
	pool := dbtest.NewDB(t)
	ctx := context.Background()
	const query = `SELECT * FROM (VALUES
		(1::bigint, 'plain', 'WORKSTATION', 'x', 'REAL', 9007199254740993::bigint, -7::int, 117.6236145::float8, 0.5::float8,
		 '2026-11-30 13:00:00+00'::timestamptz, '2024-05-01'::date, true),
		(2, '三明 "quoted"', 'SECTOR_HALL', NULL, NULL, -1, 2147483647, -0.0, NULL, '1970-01-01 00:00:00+00', NULL, false))
		AS v (id, text, kind, maybe, quality, big, small, float, maybe_f, at, "on", ok) ORDER BY id`
	read := func(collect func(pgx.Rows) ([]scanned, error)) []scanned {
		rows, err := pool.Query(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		got, err := collect(rows)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := read(db.CollectByName[scanned])
	want := read(func(rows pgx.Rows) ([]scanned, error) {
		return pgx.CollectRows(rows, pgx.RowToStructByNameLax[scanned])
	})
	if len(got) != 2 || !reflect.DeepEqual(got, want) {
		t.Errorf("collectByName scanned\n%+v\npgx scanned\n%+v", got, want)
	}

	rows, err := pool.Query(ctx, `SELECT NULL::text AS text`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CollectByName[scanned](rows); err == nil || !strings.Contains(err.Error(), "text") {
		t.Errorf("a NULL into a string field: err %v, want pgx's error naming the column", err)
	}
}
