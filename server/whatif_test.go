package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"civicmap/db/dbtest"
)

// hypothetical is one element of the hypothetical argument.
type hypothetical struct {
	Kind     string  `json:"kind"`
	Lon, Lat float64 `json:"-"`
}

func (h hypothetical) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{"kind": h.Kind, "lon": h.Lon, "lat": h.Lat})
}

type hypotheticalDistance struct {
	Index          int
	Kind           string
	Lon, Lat       float64
	DistanceMetres float64
}

type whatIfPlatform struct {
	DistanceMetres float64
	Platform       struct{ ID, ExternalID string }
}

type whatIfTownship struct {
	Township              struct{ Code string }
	Status                string
	CoveredBy             []whatIfPlatform
	CoveredByHypothetical []hypotheticalDistance
	Nearest               *whatIfPlatform
	NearestHypothetical   *hypotheticalDistance
}

type whatIfAnswer struct {
	Coverage struct {
		Definition string
		Totals     coverageCounts
		Counties   []struct {
			County    struct{ Code string }
			Totals    coverageCounts
			AreaRatio float64
		}
		Townships []whatIfTownship
	}
	UncoveredTownships struct {
		TotalCount int
		Nodes      []whatIfTownship
	}
}

const whatIfQuery = `query($kinds: [PlatformKind!]!, $r: Float, $h: [HypotheticalPlatform!]) {
	coverage(kinds: $kinds, radiusMetres: $r, hypothetical: $h) {
		definition
		totals { townships covered uncovered unknownPosition ratio }
		counties { county { code } totals { townships covered uncovered unknownPosition ratio } areaRatio }
		townships { township { code } status
			coveredBy { distanceMetres platform { id externalId } }
			coveredByHypothetical { index kind lon lat distanceMetres }
			nearest { distanceMetres platform { id externalId } }
			nearestHypothetical { index kind lon lat distanceMetres } } }
	uncoveredTownships(kinds: $kinds, radiusMetres: $r, hypothetical: $h, first: 200) {
		totalCount
		nodes { township { code } status nearest { distanceMetres platform { id externalId } }
			nearestHypothetical { index kind lon lat distanceMetres } } } }`

// askWhatIf asks whatIfQuery; hs nil asks about the data as it is.
func askWhatIf(t *testing.T, h http.Handler, kinds []string, radius float64, hs []hypothetical) whatIfAnswer {
	t.Helper()
	vars := map[string]any{"kinds": kinds, "r": radius, "h": nil}
	if hs != nil {
		vars["h"] = hs
	}
	var a whatIfAnswer
	data(t, h, whatIfQuery, vars, &a)
	return a
}

// whatIfPrefix names the platforms the oracle writes for real: WHATIF-3 is
// the hypothetical platform of index 3.
const whatIfPrefix = "WHATIF-"

// insertForReal writes hs as ACTIVE platforms, in their order (so their IDs
// rise with the index, as ties between them go to the lower index).
func insertForReal(t *testing.T, pool *pgxpool.Pool, hs []hypothetical) {
	t.Helper()
	var kinds []string
	var lons, lats []float64
	for _, h := range hs {
		kinds, lons, lats = append(kinds, h.Kind), append(lons, h.Lon), append(lats, h.Lat)
	}
	_, err := pool.Exec(t.Context(), `INSERT INTO platform (external_id, kind, name, organiser_code, township_code,
			host_name, host_type, sector_code, location, position_quality, provenance, source_note)
		SELECT '`+whatIfPrefix+`' || (u.i - 1), u.kind, 'what if', '350400', (SELECT min(code) FROM township), 'host',
			'PUBLIC_UNIT', CASE WHEN u.kind = 'SECTOR_HALL' THEN (SELECT min(code) FROM sector) END,
			ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326), 'APPROXIMATE', 'ILLUSTRATIVE', 'what-if oracle'
		FROM unnest($1::text[], $2::float8[], $3::float8[]) WITH ORDINALITY AS u (kind, lon, lat, i)
		ORDER BY u.i`, kinds, lons, lats)
	if err != nil {
		t.Fatal(err)
	}
}

// points returns the seats of the townships and the places of the ACTIVE
// platforms: hypothetical platforms put there test the cells' insides and
// the ties with real platforms.
func points(t *testing.T, pool *pgxpool.Pool, sql string) [][2]float64 {
	t.Helper()
	rows, err := pool.Query(t.Context(), sql)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]float64, error) {
		var p [2]float64
		return p, r.Scan(&p[0], &p[1])
	})
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// TestHypotheticalMatchesWritingThem is the what-if oracle: for random sets
// of hypothetical platforms, kinds and radii, the what-if answer equals the
// answer after writing those platforms for real as ACTIVE (in a throwaway
// copy of the database) and asking again: the same statuses, totals, county
// areas and worklist, and every distance within 1e-6 m. Where a written
// platform is a township's nearest, the what-if answer names the same one as
// nearestHypothetical, and the written covering platforms are the
// hypothetical covering ones.
func TestHypotheticalMatchesWritingThem(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 2))
	seed := dbtest.NewDB(t)
	seats := points(t, seed, `SELECT ST_X(seat), ST_Y(seat) FROM township WHERE seat IS NOT NULL ORDER BY code`)
	sites := points(t, seed, `SELECT ST_X(location), ST_Y(location) FROM platform
		WHERE status = 'ACTIVE' AND location IS NOT NULL AND kind <> 'LIAISON_GROUP' ORDER BY id`)
	// Sanming's extent, and a little beyond it.
	west, east, south, north := 116.2, 118.8, 25.4, 27.2
	cases := []struct {
		kinds  []string
		radius float64
		n      int
	}{
		{[]string{"WORKSTATION"}, 5000, 1},
		{[]string{"WORKSTATION"}, 0, 8},
		{[]string{"SECTOR_HALL"}, 12000, 20},
		{[]string{"WORKSTATION", "SECTOR_HALL"}, 3000, 40},
		{[]string{"SECTOR_HALL"}, 5000, 60},
		{[]string{"WORKSTATION"}, 20000, 100},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v at %v m, %d hypothetical", c.kinds, c.radius, c.n), func(t *testing.T) {
			hs := make([]hypothetical, c.n)
			for i := range hs {
				// Liaison groups are one per township, so none is written.
				hs[i].Kind = []string{"WORKSTATION", "SECTOR_HALL"}[rng.IntN(2)]
				var p [2]float64
				switch rng.IntN(4) {
				case 0:
					p = seats[rng.IntN(len(seats))]
				case 1:
					p = sites[rng.IntN(len(sites))] // a tie with a real platform, when of the kinds
				default:
					p = [2]float64{west + rng.Float64()*(east-west), south + rng.Float64()*(north-south)}
				}
				hs[i].Lon, hs[i].Lat = p[0], p[1]
			}
			pool := dbtest.NewDB(t)
			h := newHandler(t, pool)
			start := time.Now()
			what := askWhatIf(t, h, c.kinds, c.radius, hs)
			took := time.Since(start)
			insertForReal(t, pool, hs)
			real := askWhatIf(t, h, c.kinds, c.radius, nil)
			t.Logf("%d hypothetical platforms: the what-if query took %v; %d uncovered as if, %d after writing them",
				c.n, took, what.Coverage.Totals.Uncovered, real.Coverage.Totals.Uncovered)
			compareWhatIf(t, what, real)
		})
	}
}

// compareWhatIf fails where the what-if answer differs from the one after
// writing the hypothetical platforms.
func compareWhatIf(t *testing.T, what, real whatIfAnswer) {
	t.Helper()
	if !sameCounts(what.Coverage.Totals, real.Coverage.Totals) {
		t.Errorf("totals %+v as if, %+v written", what.Coverage.Totals, real.Coverage.Totals)
	}
	if len(what.Coverage.Counties) != len(real.Coverage.Counties) || len(what.Coverage.Townships) != len(real.Coverage.Townships) {
		t.Fatalf("%d counties and %d townships as if, %d and %d written", len(what.Coverage.Counties),
			len(what.Coverage.Townships), len(real.Coverage.Counties), len(real.Coverage.Townships))
	}
	for i, w := range what.Coverage.Counties {
		r := real.Coverage.Counties[i]
		if !sameCounts(w.Totals, r.Totals) || math.Abs(w.AreaRatio-r.AreaRatio) > 1e-9 {
			t.Errorf("county %s: %+v, area %v as if; %+v, area %v written", w.County.Code, w.Totals, w.AreaRatio, r.Totals, r.AreaRatio)
		}
	}
	var differences int
	for i, w := range what.Coverage.Townships {
		if !sameWhatIf(t, w, real.Coverage.Townships[i], true) {
			differences++
		}
	}
	wl, rl := what.UncoveredTownships, real.UncoveredTownships
	if wl.TotalCount != rl.TotalCount || len(wl.Nodes) != len(rl.Nodes) {
		t.Fatalf("worklist of %d as if, %d written", wl.TotalCount, rl.TotalCount)
	}
	for i, w := range wl.Nodes {
		if !sameWhatIf(t, w, rl.Nodes[i], false) {
			differences++
		}
	}
	if differences > 0 {
		t.Errorf("%d differences", differences)
	}
}

// sameWhatIf compares one township of the two answers, and reports whether
// they agree.
func sameWhatIf(t *testing.T, w, r whatIfTownship, coveredBy bool) bool {
	t.Helper()
	code := w.Township.Code
	if code != r.Township.Code || w.Status != r.Status {
		t.Errorf("%s %s as if, %s %s written", code, w.Status, r.Township.Code, r.Status)
		return false
	}
	// The nearest: a written platform exactly where the what-if names a
	// hypothetical one, with its index, at the same distance.
	wm, rm := effectiveMetres(w), effectiveMetres(r)
	if (wm == nil) != (rm == nil) || wm != nil && math.Abs(*wm-*rm) > 1e-6 {
		t.Errorf("%s: nearest at %v as if, %v written", code, metresOrNil(wm), metresOrNil(rm))
		return false
	}
	written := r.Nearest != nil && strings.HasPrefix(r.Nearest.Platform.ExternalID, whatIfPrefix)
	switch {
	case written != (w.NearestHypothetical != nil):
		t.Errorf("%s: nearest hypothetical %+v as if, %+v written", code, w.NearestHypothetical, r.Nearest)
		return false
	case written && r.Nearest.Platform.ExternalID != fmt.Sprint(whatIfPrefix, w.NearestHypothetical.Index):
		t.Errorf("%s: nearest hypothetical %d as if, %s written", code, w.NearestHypothetical.Index, r.Nearest.Platform.ExternalID)
		return false
	case !written && (w.Nearest == nil) != (r.Nearest == nil),
		!written && w.Nearest != nil && w.Nearest.Platform.ID != r.Nearest.Platform.ID:
		t.Errorf("%s: nearest %+v as if, %+v written", code, w.Nearest, r.Nearest)
		return false
	}
	if !coveredBy {
		return true
	}
	// The covering platforms: the real and the hypothetical ones of the
	// what-if are those written.
	type cover struct {
		who    string
		metres float64
	}
	var wc, rc []cover
	for _, p := range w.CoveredBy {
		wc = append(wc, cover{p.Platform.ExternalID, p.DistanceMetres})
	}
	for _, p := range w.CoveredByHypothetical {
		wc = append(wc, cover{fmt.Sprint(whatIfPrefix, p.Index), p.DistanceMetres})
	}
	for _, p := range r.CoveredBy {
		rc = append(rc, cover{p.Platform.ExternalID, p.DistanceMetres})
	}
	byWho := func(a, b cover) int { return strings.Compare(a.who, b.who) }
	slices.SortFunc(wc, byWho)
	slices.SortFunc(rc, byWho)
	if !slices.EqualFunc(wc, rc, func(a, b cover) bool { return a.who == b.who && math.Abs(a.metres-b.metres) <= 1e-6 }) {
		t.Errorf("%s: covered by %v as if, %v written", code, wc, rc)
		return false
	}
	return true
}

// effectiveMetres is a township's distance to its nearest platform that
// counts, real or hypothetical.
func effectiveMetres(tc whatIfTownship) *float64 {
	switch {
	case tc.NearestHypothetical != nil:
		return &tc.NearestHypothetical.DistanceMetres
	case tc.Nearest != nil:
		return &tc.Nearest.DistanceMetres
	}
	return nil
}

func metresOrNil(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// seatOf returns a township's seat; "" asks for the seat of the township
// farthest from any workstation (the worklist's first).
func seatOf(t *testing.T, pool *pgxpool.Pool, code string) (lon, lat float64) {
	t.Helper()
	err := pool.QueryRow(t.Context(), `SELECT ST_X(t.seat), ST_Y(t.seat) FROM township t
		JOIN township_nearest n ON n.township_code = t.code AND n.kind = 'WORKSTATION'
		WHERE t.code = $1 OR $1 = '' ORDER BY n.metres DESC LIMIT 1`, code).Scan(&lon, &lat)
	if err != nil {
		t.Fatal(err)
	}
	return lon, lat
}

// TestHypotheticalWorkstationClosesAGap: a hypothetical workstation at the
// seat of the worklist's first township (溪源乡, 16.4 km from any
// workstation) covers it at 5 km, inside its cell, and the uncovered count
// drops; a hypothetical hall there changes nothing for workstations.
func TestHypotheticalWorkstationClosesAGap(t *testing.T) {
	pool := dbtest.NewDB(t)
	h := newHandler(t, pool)
	kinds := []string{"WORKSTATION"}
	before := askWhatIf(t, h, kinds, 5000, nil)
	if before.UncoveredTownships.TotalCount != 55 {
		t.Fatalf("%d uncovered, want 55", before.UncoveredTownships.TotalCount)
	}
	gap := before.UncoveredTownships.Nodes[0].Township.Code
	lon, lat := seatOf(t, pool, gap)

	hall := askWhatIf(t, h, kinds, 5000, []hypothetical{{"SECTOR_HALL", lon, lat}})
	if hall.UncoveredTownships.TotalCount != 55 || !sameCounts(hall.Coverage.Totals, before.Coverage.Totals) {
		t.Errorf("a hypothetical hall changed the workstations' coverage: %d uncovered", hall.UncoveredTownships.TotalCount)
	}

	after := askWhatIf(t, h, kinds, 5000, []hypothetical{{"WORKSTATION", lon, lat}})
	if n := after.UncoveredTownships.TotalCount; n >= 55 || n != after.Coverage.Totals.Uncovered {
		t.Errorf("%d uncovered with the workstation (coverage says %d), want fewer than 55", n, after.Coverage.Totals.Uncovered)
	}
	for _, n := range after.UncoveredTownships.Nodes {
		if n.Township.Code == gap {
			t.Errorf("%s is still on the worklist", gap)
		}
	}
	i := slices.IndexFunc(after.Coverage.Townships, func(tc whatIfTownship) bool { return tc.Township.Code == gap })
	tc := after.Coverage.Townships[i]
	want := hypotheticalDistance{Index: 0, Kind: "WORKSTATION", Lon: lon, Lat: lat}
	if tc.Status != "COVERED" || tc.NearestHypothetical == nil || *tc.NearestHypothetical != want ||
		len(tc.CoveredByHypothetical) != 1 || tc.CoveredByHypothetical[0] != want || len(tc.CoveredBy) != 0 {
		t.Errorf("%s: %s, nearest hypothetical %+v, covered by %+v and %+v; want COVERED by the workstation at its seat, 0 m",
			gap, tc.Status, tc.NearestHypothetical, tc.CoveredByHypothetical, tc.CoveredBy)
	}
	if tc.Nearest == nil || tc.Nearest.DistanceMetres < 16000 {
		t.Errorf("%s: the nearest real workstation is %+v, want the one 16 km away", gap, tc.Nearest)
	}
	if !strings.Contains(after.Coverage.Definition, "1 hypothetical platforms") {
		t.Errorf("definition: %s", after.Coverage.Definition)
	}
	// Every township it covers was uncovered before, or covered anyway.
	was := map[string]string{}
	for _, tc := range before.Coverage.Townships {
		was[tc.Township.Code] = tc.Status
	}
	var closed int
	for _, tc := range after.Coverage.Townships {
		if was[tc.Township.Code] == "UNCOVERED" && tc.Status == "COVERED" {
			closed++
			if len(tc.CoveredByHypothetical) == 0 {
				t.Errorf("%s: covered now, but not by the hypothetical workstation", tc.Township.Code)
			}
		}
	}
	if closed != 55-after.UncoveredTownships.TotalCount {
		t.Errorf("%d townships turned covered, the worklist shrank by %d", closed, 55-after.UncoveredTownships.TotalCount)
	}
}

// TestHypotheticalWritesNothing: what-if questions change neither the data
// version, nor the platforms, nor the coverage index.
func TestHypotheticalWritesNothing(t *testing.T) {
	pool := dbtest.NewDB(t)
	h := newHandler(t, pool)
	const state = `SELECT (SELECT geography_version || '.' || coalesce((SELECT max(seq) FROM platform_change), 0) FROM change_queue),
		(SELECT count(*) FROM platform), (SELECT md5(string_agg(township_code || kind || coalesce(platform_id, 0) ||
			coalesce(metres, -1), ',' ORDER BY township_code, kind)) FROM township_nearest)`
	read := func() (version string, platforms int, index string) {
		t.Helper()
		if err := pool.QueryRow(t.Context(), state).Scan(&version, &platforms, &index); err != nil {
			t.Fatal(err)
		}
		return
	}
	v0, p0, i0 := read()
	lon, lat := seatOf(t, pool, "")
	askWhatIf(t, h, []string{"WORKSTATION", "SECTOR_HALL"}, 5000,
		[]hypothetical{{"WORKSTATION", lon, lat}, {"SECTOR_HALL", lon + 0.1, lat}, {"LIAISON_GROUP", lon, lat - 0.1}})
	if v, p, i := read(); v != v0 || p != p0 || i != i0 {
		t.Errorf("after a what-if: version %s, %d platforms, index %s; before: %s, %d, %s", v, p, i, v0, p0, i0)
	}
}

// TestHypotheticalLeavesThePlainAnswer: a what-if answer is never served for
// the plain question, nor the plain one for a what-if, whichever is asked
// first and through either cache (whole answers by variables, or coverage
// by its question); an empty list asks the plain question.
func TestHypotheticalLeavesThePlainAnswer(t *testing.T) {
	pool := dbtest.NewDB(t)
	for _, handler := range []struct {
		name string
		h    http.Handler
	}{{"cached", newHandler(t, pool)}, {"no answers kept", uncachedHandler(t, pool)}} {
		t.Run(handler.name, func(t *testing.T) {
			h := handler.h
			lon, lat := seatOf(t, pool, "")
			hs := []any{map[string]any{"kind": "WORKSTATION", "lon": lon, "lat": lat}}
			ask := func(query string, hs any) []byte {
				t.Helper()
				r := post(t, h, query, map[string]any{"kinds": []string{"WORKSTATION"}, "r": 5000, "h": hs})
				if len(r.Errors) > 0 {
					t.Fatalf("errors: %+v", r.Errors)
				}
				return r.Data
			}
			for _, query := range []string{whatIfQuery,
				// Cheaper than the whole-answer cache's threshold: the
				// coverage cache alone.
				`query($kinds: [PlatformKind!]!, $r: Float, $h: [HypotheticalPlatform!]) {
					uncoveredTownships(kinds: $kinds, radiusMetres: $r, hypothetical: $h, first: 3) { totalCount } }`,
				`query($kinds: [PlatformKind!]!, $r: Float, $h: [HypotheticalPlatform!]) {
					coverage(kinds: $kinds, radiusMetres: $r, hypothetical: $h) { totals { uncovered } } }`,
			} {
				plain := ask(query, nil)
				what := ask(query, hs)
				if bytes.Equal(plain, what) {
					t.Fatalf("the what-if answer is the plain one: %s", plain)
				}
				if again := ask(query, nil); !bytes.Equal(again, plain) {
					t.Errorf("the plain answer changed after a what-if:\n%s\nthen\n%s", plain, again)
				}
				if empty := ask(query, []any{}); !bytes.Equal(empty, plain) {
					t.Errorf("an empty hypothetical list is not the plain answer:\n%s\n%s", empty, plain)
				}
				if again := ask(query, hs); !bytes.Equal(again, what) {
					t.Errorf("the what-if answer changed when asked again:\n%s\nthen\n%s", what, again)
				}
			}
		})
	}
}

// TestHypotheticalBadInput: too many hypothetical platforms, or a position
// off the globe, is BAD_USER_INPUT naming the element's field, on both
// queries; the old checks still come first.
func TestHypotheticalBadInput(t *testing.T) {
	h := newHandler(t, nil)
	ok := map[string]any{"kind": "WORKSTATION", "lon": 117.6, "lat": 26.2}
	many := func(n int) []any { return slices.Repeat([]any{ok}, n) }
	at := func(i int, field string, v any) []any {
		hs := many(i + 1)
		bad := map[string]any{"kind": "WORKSTATION", "lon": 117.6, "lat": 26.2}
		bad[field] = v
		hs[i] = bad
		return hs
	}
	const coverage = `query($h: [HypotheticalPlatform!], $kinds: [PlatformKind!]! = [WORKSTATION], $r: Float = 5000) {
		coverage(kinds: $kinds, radiusMetres: $r, hypothetical: $h) { totals { covered } } }`
	const worklist = `query($h: [HypotheticalPlatform!], $kinds: [PlatformKind!]! = [WORKSTATION], $r: Float = 5000) {
		uncoveredTownships(kinds: $kinds, radiusMetres: $r, hypothetical: $h) { totalCount } }`
	cases := []struct {
		name    string
		query   string
		vars    map[string]any
		code    string
		field   string
		message string
	}{
		{"101 platforms", coverage, map[string]any{"h": many(101)}, "BAD_USER_INPUT", "hypothetical", "at most 100"},
		{"101 platforms in the worklist", worklist, map[string]any{"h": many(101)}, "BAD_USER_INPUT", "hypothetical", "at most 100"},
		{"1,000 platforms", coverage, map[string]any{"h": many(1000)}, "BAD_USER_INPUT", "hypothetical", "at most 100"},
		{"longitude over 180", coverage, map[string]any{"h": at(3, "lon", 181.0)}, "BAD_USER_INPUT", "hypothetical[3].lon", "[-180, 180]"},
		{"longitude under -180", worklist, map[string]any{"h": at(0, "lon", -180.5)}, "BAD_USER_INPUT", "hypothetical[0].lon", "[-180, 180]"},
		{"latitude over 90", coverage, map[string]any{"h": at(7, "lat", 90.01)}, "BAD_USER_INPUT", "hypothetical[7].lat", "[-90, 90]"},
		{"latitude under -90 in the worklist", worklist, map[string]any{"h": at(2, "lat", -1e300)}, "BAD_USER_INPUT", "hypothetical[2].lat", "[-90, 90]"},
		{"a lowercase kind", coverage, map[string]any{"h": at(0, "kind", "workstation")}, "BAD_USER_INPUT", "", "workstation"},
		{"no kinds, with hypothetical platforms", coverage, map[string]any{"h": many(3), "kinds": []string{}}, "BAD_USER_INPUT", "kinds", "at least one kind"},
		{"radius out of range, with hypothetical platforms", worklist, map[string]any{"h": many(3), "r": 1e9}, "BAD_USER_INPUT", "radiusMetres", "at most 200000"},
	}
	// Literals past what a double holds are refused by the Float scalar
	// itself, as for every Float argument, before the resolver sees them.
	for _, lit := range []struct{ name, value, field string }{
		{"a literal longitude of 1e999", "lon: 1e999, lat: 26", ""},
		{"a literal latitude of -1e999", "lon: 117, lat: -1e999", ""},
	} {
		q := fmt.Sprintf(`{ coverage(kinds: [WORKSTATION], hypothetical: [{kind: WORKSTATION, lon: 117, lat: 26}, {kind: WORKSTATION, %s}]) { totals { covered } } }`, lit.value)
		cases = append(cases, struct {
			name, query string
			vars        map[string]any
			code, field string
			message     string
		}{lit.name, q, nil, "BAD_USER_INPUT", lit.field, ""})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, post(t, h, c.query, c.vars), c.code, c.field, c.message)
		})
	}
	// Non-finite numbers in variables are refused by the Float scalar itself.
	for _, v := range []any{"NaN", "Infinity", "-Infinity"} {
		if r := post(t, h, coverage, map[string]any{"h": at(0, "lon", v)}); r.code() != "BAD_USER_INPUT" {
			t.Errorf("lon %v: code %q, want BAD_USER_INPUT", v, r.code())
		} else {
			t.Logf("lon %v: %s (%v)", v, r.Errors[0].Message, r.Errors[0].Extensions["field"])
		}
	}
}
