package synth

import (
	"os"
	"reflect"
	"testing"

	"civicmap/db/dbtest"
	"civicmap/db/seed"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m, dbtest.Migrate)) }

var small = Size{Counties: 30, Townships: 420, Platforms: 630}

func TestGenerateIsDeterministic(t *testing.T) {
	sectors, err := seed.Sectors()
	if err != nil {
		t.Fatal(err)
	}
	a, b := generate(small, sectors), generate(small, sectors)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two generations of the same size differ")
	}
}

func TestLoad(t *testing.T) {
	pool := dbtest.NewDB(t)
	r, err := Load(t.Context(), pool, small)
	if err != nil {
		t.Fatal(err)
	}
	if r.Counties != 30 || r.Townships != 420 || r.Platforms != 630 {
		t.Errorf("report %+v, want 30 counties, 420 townships, 630 platforms", r)
	}
	checks := []struct {
		name string
		sql  string
		want int
	}{
		{"counties", `SELECT count(*) FROM county`, 30},
		{"townships", `SELECT count(*) FROM township`, 420},
		{"platforms", `SELECT count(*) FROM platform`, 630},
		{"a liaison group per township", `SELECT count(DISTINCT township_code) FROM platform WHERE kind = 'LIAISON_GROUP'`, 420},
		{"a cell for every seat", `SELECT count(*) FROM township WHERE (seat IS NULL) <> (boundary IS NULL)`, 0},
		{"seats inside their cells", `SELECT count(*) FROM township WHERE seat IS NOT NULL AND NOT ST_Covers(boundary, seat)`, 0},
		{"valid cells", `SELECT count(*) FROM township WHERE NOT ST_IsValid(boundary)`, 0},
		{"platforms inside their county", `SELECT count(*) FROM platform p JOIN township t ON t.code = p.township_code
			JOIN county c ON c.code = t.county_code WHERE NOT ST_DWithin(p.location::geography, c.boundary::geography, 3100)`, 0},
		{"cells tile their county (0.1%)", `SELECT count(*) FROM county c WHERE abs(ST_Area(c.boundary) -
			(SELECT sum(ST_Area(boundary)) FROM township t WHERE t.county_code = c.code)) > 0.001 * ST_Area(c.boundary)`, 0},
		{"halls have a sector", `SELECT count(*) FROM platform WHERE kind = 'SECTOR_HALL' AND sector_code IS NULL`, 0},
	}
	for _, c := range checks {
		var got int
		if err := pool.QueryRow(t.Context(), c.sql).Scan(&got); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got != c.want {
			t.Errorf("%s: got %d, want %d", c.name, got, c.want)
		}
	}
}

func TestLoadRefusesBadSizes(t *testing.T) {
	for _, s := range []Size{{}, {Counties: 10, Townships: 5, Platforms: 20}, {Counties: 10, Townships: 20, Platforms: 10}} {
		if _, err := Load(t.Context(), nil, s); err == nil {
			t.Errorf("Load(%+v) succeeded, want an error", s)
		}
	}
}
