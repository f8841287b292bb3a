package db

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// A coverage question is asked at some radius, but what the index holds does
// not depend on it: each township's nearest covering platform of each kind.
// So the index is read once per data version and set of kinds (a
// nearestTable), and the answer at any radius is cut from it in memory: a
// planner dragging the radius slider costs no SQL. The townships and counties
// it names change only with the geography, so they are read once per
// geography version (a geography).

// geography is every county and township, as coverage names them, at one
// geography version.
type geography struct {
	version   string
	counties  []County   // by code
	townships []Township // by code
	hasCell   []bool     // by township: whether it has a cell
	countyOf  []int      // by township: its county's index in counties
}

// nearestTable is the radius-free part of coverage for one set of kinds at
// one data version: the nearest covering platform of each township.
type nearestTable struct {
	version string
	geo     *geography
	// nearest is by township: the nearest covering platform of the kinds, with
	// Platform.ID 0 when the township has no cell or no such platform exists.
	nearest []PlatformDistance
	// worklist holds the townships with a cell in worklistLess order: those
	// without a platform, then farthest first. The uncovered townships at any
	// radius are a prefix of it.
	worklist []int
}

const (
	geographyCountiesSQL  = `SELECT ` + countyColumns + ` FROM county ORDER BY code`
	geographyTownshipsSQL = `SELECT ` + townshipColumns + `, boundary IS NOT NULL AS has_cell FROM township ORDER BY code`

	// coverageIndexSQL reads the index for the kinds $1 (text[]). Townships
	// without a platform of the kinds have no row.
	coverageIndexSQL = `SELECT township_code, platform_id, metres FROM township_nearest
	WHERE kind = ANY($1) AND platform_id IS NOT NULL`
)

// errMoved is returned when the data changed between two statements that one
// answer needs: the caller reads again.
var errMoved = errors.New("the data changed while it was read")

// geographyOf returns the geography version in a data version.
func geographyOf(version string) string {
	g, _, _ := strings.Cut(version, ".")
	return g
}

// atVersion sends the statements that queue adds in one batch, then reads
// the data version again: when it is still version, read before the batch,
// nothing committed while the statements ran, and they agree with each other
// and with version. Otherwise they may not (each statement sees its own
// snapshot): errMoved. With version "", the batch runs in one REPEATABLE READ
// snapshot, which always agrees, at the cost of two more round trips; atVersion
// returns the version it saw.
func (db *DB) atVersion(ctx context.Context, version string, queue func(b *pgx.Batch)) (string, error) {
	var after string
	var b pgx.Batch
	queue(&b)
	b.Queue(dataVersionSQL).QueryRow(func(row pgx.Row) error { return row.Scan(&after) })
	if version != "" {
		if err := db.pool.SendBatch(ctx, &b).Close(); err != nil {
			return "", err
		}
		if after != version {
			return "", errMoved
		}
		return version, nil
	}
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(tx pgx.Tx) error { return tx.SendBatch(ctx, &b).Close() })
	return after, err
}

// nearestTable returns the table of kinds at data version, kept or read
// from the index with, unless they are kept, the townships it names. With
// version "", it is read in one snapshot (atVersion).
func (db *DB) nearestTable(ctx context.Context, version string, kinds []PlatformKind) (*nearestTable, error) {
	key := kindsKey(kinds)
	if t, ok := db.nearest.Get(version, key); ok {
		return t, nil
	}
	geo, haveGeo := db.geo.Get(geographyOf(version), "")
	haveGeo = haveGeo && version != ""
	var read *geographyRead
	var codes []string
	var ids []int64
	var metres []float64
	version, err := db.atVersion(ctx, version, func(b *pgx.Batch) {
		b.Queue(coverageIndexSQL, kindStrings(kinds)).Query(func(rows pgx.Rows) error {
			var code string
			var id int64
			var m float64
			_, err := pgx.ForEachRow(rows, []any{&code, &id, &m}, func() error {
				codes, ids, metres = append(codes, code), append(ids, id), append(metres, m)
				return nil
			})
			return err
		})
		if !haveGeo {
			read = queueGeography(b)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("read the coverage index: %w", err)
	}
	if !haveGeo {
		geo = read.geography(geographyOf(version))
		db.geo.Put(geo.version, "", geo, 1)
	}
	t := &nearestTable{version: version, geo: geo, nearest: make([]PlatformDistance, len(geo.townships))}
	for i, code := range codes {
		j, ok := slices.BinarySearchFunc(geo.townships, code, func(t Township, code string) int {
			return strings.Compare(t.Code, code)
		})
		if !ok {
			return nil, fmt.Errorf("read the coverage index: township %s: %w", code, errMoved)
		}
		n := &t.nearest[j]
		if n.Platform.ID == 0 || metres[i] < n.DistanceMetres || metres[i] == n.DistanceMetres && ids[i] < n.Platform.ID {
			*n = PlatformDistance{Platform: Platform{ID: ids[i]}, DistanceMetres: metres[i]}
		}
	}
	t.sortWorklist()
	db.nearest.Put(version, key, t, 1)
	return t, nil
}

// sortWorklist orders the townships with a cell in worklistLess order.
func (t *nearestTable) sortWorklist() {
	for i, cell := range t.geo.hasCell {
		if cell {
			t.worklist = append(t.worklist, i)
		}
	}
	slices.SortFunc(t.worklist, func(a, b int) int {
		if t.less(a, b) {
			return -1
		}
		return 1
	})
}

// metres returns township i's distance to its nearest platform, nil when
// there is none.
func (t *nearestTable) metres(i int) *float64 {
	if t.nearest[i].Platform.ID == 0 {
		return nil
	}
	return &t.nearest[i].DistanceMetres
}

// less is worklistLess on townships i and j.
func (t *nearestTable) less(i, j int) bool {
	return worklistLess(t.metres(i), t.geo.townships[i].Code, t.metres(j), t.geo.townships[j].Code)
}

// status is township i's coverage at radius metres.
func (t *nearestTable) status(i int, radius float64) CoverageStatus {
	switch m := t.metres(i); {
	case !t.geo.hasCell[i]:
		return CoverageUnknownPosition
	case m != nil && *m <= radius:
		return CoverageCovered
	}
	return CoverageUncovered
}

// township returns township i's coverage at radius metres.
func (t *nearestTable) township(i int, radius float64) TownshipCoverage {
	tc := TownshipCoverage{Township: t.geo.townships[i], Status: t.status(i, radius), CoveredBy: []PlatformDistance{}}
	if t.metres(i) != nil {
		n := t.nearest[i]
		tc.Nearest = &n
	}
	return tc
}

// geographyRead is a geography being read in a batch (queueGeography).
type geographyRead struct {
	counties  []County
	townships []struct {
		Township
		HasCell bool `db:"has_cell"`
	}
}

// queueGeography queues the reads of a geography on b.
func queueGeography(b *pgx.Batch) *geographyRead {
	r := &geographyRead{}
	queueRows(b, &r.counties, geographyCountiesSQL)
	queueRows(b, &r.townships, geographyTownshipsSQL)
	return r
}

// geography is what r read, at geography version.
func (r *geographyRead) geography(version string) *geography {
	g := &geography{version: version, counties: r.counties, townships: make([]Township, len(r.townships)),
		hasCell: make([]bool, len(r.townships)), countyOf: make([]int, len(r.townships))}
	county := make(map[string]int, len(r.counties))
	for i, c := range r.counties {
		county[c.Code] = i
	}
	for i, t := range r.townships {
		g.townships[i], g.hasCell[i], g.countyOf[i] = t.Township, t.HasCell, county[t.CountyCode]
	}
	return g
}

// kindsKey names a set of kinds: the same kinds in any order and repeated are
// the same set.
func kindsKey(kinds []PlatformKind) string {
	s := slices.Clone(kindStrings(kinds))
	slices.Sort(s)
	return strings.Join(slices.Compact(s), ",")
}
