package load

import (
	"context"
	"testing"
)

// TestLoadContents checks the loaded directory against what the data and the
// seed promise. Each case is a query returning one number.
func TestLoadContents(t *testing.T) {
	pool := testPool(t)
	r := mustLoad(t, pool)
	t.Logf("first load: %+v", r)
	if r.Counties != 11 || r.Townships != 141 || r.Cells != 139 || r.Platforms != 207 {
		t.Errorf("report = %+v, want 11 counties, 141 townships, 139 cells, 207 platforms", r)
	}
	tests := []struct {
		name  string
		query string
		want  float64
	}{
		{"counties", `SELECT count(*) FROM county`, 11},
		{"county boundaries approximate", `SELECT count(*) FROM county WHERE boundary_quality = 'APPROXIMATE'`, 11},
		{"townships", `SELECT count(*) FROM township`, 141},
		{"townships without seat", `SELECT count(*) FROM township WHERE seat IS NULL AND position_quality = 'UNKNOWN'`, 2},
		{"cells", `SELECT count(*) FROM township WHERE boundary IS NOT NULL AND boundary_quality = 'APPROXIMATE'`, 139},
		{"organisers", `SELECT count(*) FROM organiser`, 12},
		{"liaison groups", `SELECT count(*) FROM platform WHERE kind = 'LIAISON_GROUP'`, 141},
		{"workstations", `SELECT count(*) FROM platform WHERE kind = 'WORKSTATION'`, 49},
		{"sector halls", `SELECT count(*) FROM platform WHERE kind = 'SECTOR_HALL'`, 17},
		{"real platforms", `SELECT count(*) FROM platform WHERE provenance = 'REAL'`, 4},
		{"platforms with unknown position", `SELECT count(*) FROM platform WHERE location IS NULL`, 2},
		{"platforms outside their county", `
			SELECT count(*) FROM platform p
			JOIN township t ON t.code = p.township_code
			JOIN county c ON c.code = t.county_code
			WHERE p.location IS NOT NULL AND NOT ST_Covers(c.boundary, p.location)`, 0},
		{"townships without exactly one liaison group", `
			SELECT count(*) FROM township t
			WHERE (SELECT count(*) FROM platform p WHERE p.township_code = t.code AND p.kind = 'LIAISON_GROUP') <> 1`, 0},
		{"seats outside their own cell", `
			SELECT count(*) FROM township WHERE seat IS NOT NULL AND NOT ST_Contains(boundary, seat)`, 0},
		{"seats inside another cell", `
			SELECT count(*) FROM township a JOIN township b ON a.code <> b.code
			WHERE a.seat IS NOT NULL AND ST_Intersects(b.boundary, a.seat)`, 0},
		{"cell overlap m² (rounded)", `
			SELECT round(coalesce(sum(ST_Area(ST_Intersection(a.boundary, b.boundary)::geography)), 0))
			FROM township a JOIN township b
			  ON a.county_code = b.county_code AND a.code < b.code AND ST_Intersects(a.boundary, b.boundary)`, 0},
		{"counties whose cells miss more than 0.1% of the area", `
			SELECT count(*) FROM county c
			JOIN LATERAL (SELECT ST_Union(boundary) AS u FROM township t WHERE t.county_code = c.code) cells ON true
			WHERE abs(ST_Area(cells.u::geography) - ST_Area(c.boundary::geography)) > 0.001 * ST_Area(c.boundary::geography)`, 0},
		{"distinct hall sectors", `SELECT count(DISTINCT sector_code) FROM platform WHERE kind = 'SECTOR_HALL'`, 17},
		{"counties without workstation or hall", `
			SELECT count(*) FROM county c WHERE NOT EXISTS (
				SELECT 1 FROM platform p JOIN township t ON t.code = p.township_code
				WHERE t.county_code = c.code AND p.kind <> 'LIAISON_GROUP')`, 0},
		{"organiser levels used by workstations and halls", `
			SELECT count(DISTINCT o.level) FROM platform p JOIN organiser o ON o.code = p.organiser_code
			WHERE p.kind <> 'LIAISON_GROUP'`, 2},
		{"dataset sources", `SELECT count(*) FROM dataset_source`, 4},
		{"dataset rows", `SELECT count(*) FROM dataset`, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got float64
			if err := pool.QueryRow(context.Background(), tc.query).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestLoadTwice checks that a second load of the same input changes nothing.
func TestLoadTwice(t *testing.T) {
	pool := testPool(t)
	first := mustLoad(t, pool)
	t.Logf("first load: %+v", first)
	before := checksum(t, pool)
	r := mustLoad(t, pool)
	t.Logf("second load: %+v", r)
	if r.Changed != 0 {
		t.Errorf("second load changed %d rows, want 0", r.Changed)
	}
	if after := checksum(t, pool); after != before {
		t.Errorf("checksum changed by a second load: %s → %s", before, after)
	}
	var bumped int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM platform WHERE version <> 1`).Scan(&bumped); err != nil {
		t.Fatal(err)
	}
	if bumped != 0 {
		t.Errorf("%d platforms have version > 1 after reloading the same seed", bumped)
	}
}
