package db

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/jackc/pgx/v5"

	"civicmap/errcode"
)

// What if: a coverage question may name hypothetical platforms, counted as
// ACTIVE platforms of their kinds and written nowhere. Their distances to the
// cells are measured on request with cell_metres, as the index measures the
// real ones, and laid over the question's nearestTable (a whatIf), which is
// shared by every request at its version and never changed.

// MaxHypothetical is the most hypothetical platforms one question may name: a
// planner tries a few; each is measured against the cells within its reach.
const MaxHypothetical = 100

// HypotheticalPlatform is a platform asked about as if it existed and were
// ACTIVE, at [Lon, Lat] (WGS84). It is written nowhere.
type HypotheticalPlatform struct {
	Kind PlatformKind
	Lon  float64
	Lat  float64
}

// HypotheticalDistance is a hypothetical platform of a question and its
// metres from a township's cell (0 inside it).
type HypotheticalDistance struct {
	// Index is its position in the question's list: it has no ID.
	Index int
	HypotheticalPlatform
	DistanceMetres float64
}

// CheckHypothetical returns BAD_USER_INPUT naming field, or the element's
// field (field[3].lon), for more than MaxHypothetical platforms, an unknown
// kind, or a position off the globe or not finite.
func CheckHypothetical(field string, hs []HypotheticalPlatform) error {
	if len(hs) > MaxHypothetical {
		return errcode.Invalid(field, "at most %d hypothetical platforms in one question, got %d", MaxHypothetical, len(hs))
	}
	for i, h := range hs {
		at := fmt.Sprintf("%s[%d]", field, i)
		if !slices.Contains(PlatformKinds, h.Kind) {
			if _, err := ParsePlatformKind(at+".kind", string(h.Kind)); err != nil {
				return err
			}
		}
		if err := CheckLon(at+".lon", h.Lon); err != nil {
			return err
		}
		if err := CheckLat(at+".lat", h.Lat); err != nil {
			return err
		}
	}
	return nil
}

// reachSQL measures, from each point ($1 lon, $2 lat; numbered from 0 in
// that order), every township cell within $3 metres, as the index measures
// platforms (cell_metres), and keeps those within $3. The cells are found by
// a box search of township_boundary_gix (within_reach); $5 narrows them to
// those counties, NULL for all. $4 leaves out the cells that a platform of
// those kinds covers at $3 (the index's stored metres: one probe of
// township_nearest's key per cell in the box, so only the others are
// measured); NULL leaves out none. OFFSET 0 keeps the planner from measuring
// twice, for the filter and the list.
const reachSQL = `SELECT (c.i - 1)::int AS i, d.code, d.metres
	FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS c (lon, lat, i)
	CROSS JOIN LATERAL (
		SELECT t.code, cell_metres(t.boundary_utm, ST_SetSRID(ST_MakePoint(c.lon, c.lat), 4326)) AS metres
		FROM township t
		WHERE t.boundary && within_reach(ST_SetSRID(ST_MakePoint(c.lon, c.lat), 4326), $3)
			AND ($5::text[] IS NULL OR t.county_code = ANY($5))
			AND ($4::text[] IS NULL OR NOT EXISTS (SELECT FROM township_nearest n
				WHERE n.township_code = t.code AND n.kind = ANY($4) AND n.metres <= $3))
		OFFSET 0
	) d
	WHERE d.metres <= $3`

// reachRow is a row of reachSQL: point I lies Metres from the cell of
// township Code.
type reachRow struct {
	I      int     `db:"i"`
	Code   string  `db:"code"`
	Metres float64 `db:"metres"`
}

// measureReach measures, at version, the cells within metres of each point
// (reachSQL): those of counties (nil: all), and of them only the ones no
// platform of uncoveredBy covers at metres (nil: all).
func (db *DB) measureReach(ctx context.Context, version string, points []Position, metres float64, uncoveredBy []PlatformKind, counties []string) ([]reachRow, error) {
	lons, lats := make([]float64, len(points)), make([]float64, len(points))
	for i, p := range points {
		lons[i], lats[i] = p.Lon, p.Lat
	}
	var kinds []string // nil: leave out none
	if uncoveredBy != nil {
		kinds = kindStrings(uncoveredBy)
	}
	var rows []reachRow
	err := db.atVersion(ctx, version, func(b *pgx.Batch) {
		queueRows(b, &rows, reachSQL, lons, lats, metres, kinds, counties)
	})
	return rows, err
}

// whatIf is a coverage answer's hypothetical platforms laid over its table:
// only the townships they change are held, so the shared table is neither
// copied nor changed.
type whatIf struct {
	// nearest is by township index in the table: the nearest hypothetical
	// platform, where it is nearer than the table's (or the table has none).
	nearest map[int]HypotheticalDistance
	// coveredBy is by township index: the hypothetical platforms within the
	// radius, nearest first, then by index. Filled only when asked for.
	coveredBy map[int][]HypotheticalDistance
}

// measureWhatIf measures q's hypothetical platforms of q's kinds from the
// cells of cov's townships that they can change, at cov's version, and lays
// them over cov. A township's nearest can change only where a hypothetical
// platform is nearer than the farthest nearest of the table in the question's
// scope (everywhere when some township has none); its covering platforms
// only within the radius. errMoved when the data changed since the table.
func (db *DB) measureWhatIf(ctx context.Context, cov *Coverage, q CoverageQuery) error {
	t := cov.table
	var idx []int // by point measured: its index in q.Hypothetical
	var points []Position
	for i, h := range q.Hypothetical {
		if slices.Contains(q.Kinds, h.Kind) {
			idx, points = append(idx, i), append(points, Position{Lon: h.Lon, Lat: h.Lat})
			cov.hypothetical = append(cov.hypothetical, h)
		}
	}
	if len(idx) == 0 {
		return nil
	}
	reach := 0.0
	for i := range t.geo.townships {
		if !t.geo.hasCell[i] || q.CountyCode != nil && *q.CountyCode != t.geo.townships[i].CountyCode {
			continue
		}
		if t.nearest[i].id == 0 {
			reach = math.Inf(1)
			break
		}
		reach = max(reach, t.nearest[i].metres)
	}
	if q.CoveredByHypothetical {
		reach = max(reach, q.RadiusMetres)
	}
	// 20,000 km: anywhere, as reach_metres (0005) says it.
	reach = min(reach, 2e7)
	var counties []string // nil: every county
	if q.CountyCode != nil {
		counties = []string{*q.CountyCode}
	}
	rows, err := db.measureReach(ctx, cov.Version, points, reach, nil, counties)
	if err != nil {
		return fmt.Errorf("hypothetical platforms: %w", err)
	}
	w := &cov.whatIf
	w.nearest = make(map[int]HypotheticalDistance)
	if q.CoveredByHypothetical {
		w.coveredBy = make(map[int][]HypotheticalDistance)
	}
	for _, r := range rows {
		i, ok := t.geo.index[r.Code]
		if !ok {
			return fmt.Errorf("hypothetical platforms: township %s: %w", r.Code, errMoved)
		}
		h := idx[r.I]
		hd := HypotheticalDistance{Index: h, HypotheticalPlatform: q.Hypothetical[h], DistanceMetres: r.Metres}
		if q.CoveredByHypothetical && r.Metres <= q.RadiusMetres {
			w.coveredBy[i] = append(w.coveredBy[i], hd)
		}
		// A real platform as near wins: the hypothetical one changes nothing.
		if n := t.nearest[i]; n.id != 0 && r.Metres >= n.metres {
			continue
		}
		if cur, ok := w.nearest[i]; !ok || r.Metres < cur.DistanceMetres || r.Metres == cur.DistanceMetres && h < cur.Index {
			w.nearest[i] = hd
		}
	}
	for _, hs := range w.coveredBy {
		slices.SortFunc(hs, func(a, b HypotheticalDistance) int {
			if a.DistanceMetres != b.DistanceMetres {
				return cmp.Compare(a.DistanceMetres, b.DistanceMetres)
			}
			return a.Index - b.Index
		})
	}
	return nil
}

// metres is township i's distance to its nearest platform, real or
// hypothetical; nil when there is none.
func (c *Coverage) metres(i int) *float64 {
	if h, ok := c.whatIf.nearest[i]; ok {
		return &h.DistanceMetres
	}
	return c.table.metres(i)
}

// status is township i's coverage in c.
func (c *Coverage) status(i int) CoverageStatus {
	return coverageStatus(c.table.geo.hasCell[i], c.metres(i), c.RadiusMetres)
}

// township is township i's coverage in c, with its nearest and covering
// hypothetical platforms.
func (c *Coverage) township(i int) TownshipCoverage {
	tc := c.table.township(i, c.RadiusMetres)
	tc.Status = c.status(i)
	tc.CoveredByHypothetical = []HypotheticalDistance{}
	if h, ok := c.whatIf.nearest[i]; ok {
		tc.NearestHypothetical = &h
	}
	if hs := c.whatIf.coveredBy[i]; hs != nil && tc.Status == CoverageCovered {
		tc.CoveredByHypothetical = hs
	}
	return tc
}
