package db

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

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
	index     map[string]int
	// extent is the box of every cell, nil when there is none; read when
	// first needed (DB.cellExtent), since only siting's candidates need it.
	extentMu   sync.Mutex
	extentRead bool
	extent     *BBox
}

// nearestTable is the radius-free part of coverage for one set of kinds at
// one data version: the nearest covering platform of each township.
type nearestTable struct {
	version string
	geo     *geography
	// nearest is by township: the nearest covering platform of the kinds.
	nearest []nearest
	// worklist holds the townships with a cell in worklistLess order: those
	// without a platform, then farthest first. The uncovered townships at any
	// radius are a prefix of it. Sorted when first needed (sorted).
	worklist     []int
	worklistOnce sync.Once
}

const (
	geographyTownshipsSQL = `SELECT ` + townshipColumns + `, boundary IS NOT NULL AS has_cell FROM township ORDER BY code`

	// coverageIndexSQL reads the index for the kinds $1 (text[]), each row
	// with the data version of the statement's snapshot. Townships without a
	// platform of the kinds have no row; with none at all, one row of NULLs
	// carries the version.
	coverageIndexSQL = `WITH v (version) AS MATERIALIZED (` + dataVersionSQL + `)
	SELECT v.version, n.township_code, n.platform_id, n.metres
	FROM v LEFT JOIN township_nearest n ON n.kind = ANY($1) AND n.platform_id IS NOT NULL`
)

// nearest is a township's nearest covering platform: ID 0 when it has no
// cell or no such platform exists. A PlatformDistance is made of it only for
// the townships an answer lists: 40,000 of those took 10 MB.
type nearest struct {
	id     int64
	metres float64
}

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
// snapshot): errMoved.
func (db *DB) atVersion(ctx context.Context, version string, queue func(b *pgx.Batch)) error {
	var after string
	var b pgx.Batch
	queue(&b)
	b.Queue(dataVersionSQL).QueryRow(func(row pgx.Row) error { return row.Scan(&after) })
	if err := db.pool.SendBatch(ctx, &b).Close(); err != nil {
		return err
	}
	if after != version {
		return errMoved
	}
	return nil
}

// nearestTable returns the table of kinds at data version, kept or read
// from the index: one statement, which carries the version of its snapshot,
// with the townships it names as kept. When they are not kept, or were kept
// at another geography version, they are read with the index in one
// REPEATABLE READ snapshot.
func (db *DB) nearestTable(ctx context.Context, version string, kinds []PlatformKind) (*nearestTable, error) {
	key := kindsKey(kinds)
	if t, ok := db.nearest.Get(version, key); ok {
		return t, nil
	}
	geoVersion, geo, kept := db.geo.Latest("")
	t, err := db.readNearest(ctx, kinds, geo, kept)
	if kept && (errors.Is(err, errMoved) || err == nil && geographyOf(t.version) != geoVersion) {
		t, err = db.readNearest(ctx, kinds, nil, false)
	}
	if err != nil {
		return nil, fmt.Errorf("read the coverage index: %w", err)
	}
	db.nearest.Put(t.version, key, t, 1)
	return t, nil
}

// readNearest reads the table of kinds with geo, or, unless kept, with the
// townships read in the same snapshot.
func (db *DB) readNearest(ctx context.Context, kinds []PlatformKind, geo *geography, kept bool) (*nearestTable, error) {
	t := &nearestTable{geo: geo}
	var b pgx.Batch
	var read *geographyRead
	if !kept {
		read = queueGeography(&b)
	}
	// Callbacks run in the order queued: the geography is read by now.
	b.Queue(coverageIndexSQL, kindStrings(kinds)).Query(func(rows pgx.Rows) error {
		if read != nil {
			t.geo = read.geography()
		}
		return t.fill(rows)
	})
	if kept {
		if err := db.pool.SendBatch(ctx, &b).Close(); err != nil {
			return nil, err
		}
		return t, nil
	}
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(tx pgx.Tx) error { return tx.SendBatch(ctx, &b).Close() })
	if err != nil {
		return nil, err
	}
	t.geo.version = geographyOf(t.version)
	db.geo.Put(t.geo.version, "", t.geo, 1)
	return t, nil
}

// fill takes the data version and each township's nearest platform of the
// kinds from rows of coverageIndexSQL: the nearest of each kind's, ties to
// the lower ID.
func (t *nearestTable) fill(rows pgx.Rows) error {
	defer rows.Close()
	fds, err := columnsOf(rows)
	if err != nil {
		return err
	}
	t.nearest = make([]nearest, len(t.geo.townships))
	// The rows' raw values, not Scan: pgx's scan plans were a third of
	// reading the index (80,000 rows nationwide), and no string is made per
	// row. pgx reads int8 and float8 in binary, as 8 bytes big-endian.
	if len(fds) != 4 || fds[2].Format != pgx.BinaryFormatCode || fds[3].Format != pgx.BinaryFormatCode {
		return errors.New("the coverage index's IDs and distances did not arrive in binary")
	}
	for rows.Next() {
		v := rows.RawValues()
		if t.version == "" {
			t.version = string(v[0])
		}
		if v[1] == nil {
			continue // no platform of the kinds anywhere
		}
		i, ok := t.geo.index[string(v[1])]
		if !ok {
			return fmt.Errorf("township %s: %w", v[1], errMoved)
		}
		if len(v[2]) != 8 || len(v[3]) != 8 {
			return fmt.Errorf("township %s: a row of the coverage index without a platform or a distance", v[1])
		}
		n := nearest{id: int64(binary.BigEndian.Uint64(v[2])), metres: math.Float64frombits(binary.BigEndian.Uint64(v[3]))}
		if cur := &t.nearest[i]; cur.id == 0 || n.metres < cur.metres || n.metres == cur.metres && n.id < cur.id {
			*cur = n
		}
	}
	return rows.Err()
}

// sorted returns the worklist, sorting it the first time: totals need no
// order, and sorting 40,000 townships was a fifth of reading them. It sorts
// keys made once, in worklistLess order, not indexes compared through
// worklistLess: that was 7% of a worklist read from the index (pprof).
func (t *nearestTable) sorted() []int {
	t.worklistOnce.Do(func() {
		type key struct {
			none   bool // no platform of the kinds: first
			metres float64
			i      int
		}
		keys := make([]key, 0, len(t.nearest))
		for i, cell := range t.geo.hasCell {
			if cell {
				keys = append(keys, key{none: t.nearest[i].id == 0, metres: t.nearest[i].metres, i: i})
			}
		}
		slices.SortFunc(keys, func(a, b key) int {
			switch {
			case a.none != b.none:
				if a.none {
					return -1
				}
				return 1
			case !a.none && a.metres != b.metres:
				return cmp.Compare(b.metres, a.metres)
			}
			return strings.Compare(t.geo.townships[a.i].Code, t.geo.townships[b.i].Code)
		})
		t.worklist = make([]int, len(keys))
		for j, k := range keys {
			t.worklist[j] = k.i
		}
	})
	return t.worklist
}

// metres returns township i's distance to its nearest platform, nil when
// there is none.
func (t *nearestTable) metres(i int) *float64 {
	if t.nearest[i].id == 0 {
		return nil
	}
	return &t.nearest[i].metres
}

// status is township i's coverage at radius metres.
func (t *nearestTable) status(i int, radius float64) CoverageStatus {
	return coverageStatus(t.geo.hasCell[i], t.metres(i), radius)
}

// coverageStatus is the coverage at radius metres of a township with or
// without a cell whose nearest platform is m metres away (nil: none).
func coverageStatus(hasCell bool, m *float64, radius float64) CoverageStatus {
	switch {
	case !hasCell:
		return CoverageUnknownPosition
	case m != nil && *m <= radius:
		return CoverageCovered
	}
	return CoverageUncovered
}

// township returns township i's coverage at radius metres.
func (t *nearestTable) township(i int, radius float64) TownshipCoverage {
	tc := TownshipCoverage{Township: t.geo.townships[i], Status: t.status(i, radius), CoveredBy: []PlatformDistance{}}
	if n := t.nearest[i]; n.id != 0 {
		tc.Nearest = &PlatformDistance{Platform: Platform{ID: n.id}, DistanceMetres: n.metres}
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
	queueRows(b, &r.counties, countiesOneOrAllSQL, nil)
	queueRows(b, &r.townships, geographyTownshipsSQL)
	return r
}

// geography is what r read; its caller sets the version.
func (r *geographyRead) geography() *geography {
	g := &geography{counties: r.counties, townships: make([]Township, len(r.townships)),
		hasCell: make([]bool, len(r.townships)), countyOf: make([]int, len(r.townships)),
		index: make(map[string]int, len(r.townships))}
	county := make(map[string]int, len(r.counties))
	for i, c := range r.counties {
		county[c.Code] = i
	}
	for i, t := range r.townships {
		g.townships[i], g.hasCell[i], g.countyOf[i] = t.Township, t.HasCell, county[t.CountyCode]
		g.index[t.Code] = i
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
