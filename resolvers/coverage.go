package resolvers

import (
	"context"
	"slices"

	"github.com/vektah/gqlparser/v2/ast"

	"civicmap/db"
)

// coverageQuery checks the arguments that coverage and uncoveredTownships share.
func (r *Resolver) coverageQuery(ctx context.Context, kinds []db.PlatformKind, radiusMetres *float64, countyCode *string,
	hypothetical []db.HypotheticalPlatform) (db.CoverageQuery, error) {
	q := db.CoverageQuery{Kinds: kinds, CountyCode: countyCode, Hypothetical: hypothetical}
	if err := db.CheckCoverageKinds("kinds", kinds); err != nil {
		return q, err
	}
	if radiusMetres != nil {
		q.RadiusMetres = *radiusMetres
	}
	if err := db.CheckRadiusMetres("radiusMetres", q.RadiusMetres, true); err != nil {
		return q, err
	}
	if err := db.CheckHypothetical("hypothetical", hypothetical); err != nil {
		return q, err
	}
	if countyCode != nil {
		if _, err := r.countyByCode(ctx, "countyCode", *countyCode); err != nil {
			return q, err
		}
	}
	return q, nil
}

// coveragePlatforms returns the selection sets of the platforms below the
// TownshipCoverage objects at the paths nodes, below the field being resolved:
// the nearest and covering platforms whose fields the client asked for.
func coveragePlatforms(ctx context.Context, nodes ...[]string) []ast.SelectionSet {
	var sets []ast.SelectionSet
	for _, path := range nodes {
		sets = append(sets, selectionsAt(ctx, slices.Concat(path, []string{"coveredBy", "platform"})...)...)
		sets = append(sets, selectionsAt(ctx, slices.Concat(path, []string{"nearest", "platform"})...)...)
	}
	return sets
}

// prefetchCoverage hands the loaders the counties a coverage query has read,
// and the townships when the selected platforms (coveragePlatforms) name
// theirs, and fetches, one query per field, what the selected fields of those
// platforms will load: the many covering platforms would otherwise reach the
// loaders in several batches. Priming every township of a worklist that no
// platform's township asks for was a twentieth of its work (pprof).
func (r *Resolver) prefetchCoverage(ctx context.Context, counties []db.CountyCoverage, ts []db.TownshipCoverage, platforms []ast.SelectionSet) {
	var k platformKeys
	for i := range counties {
		c := &counties[i].County
		r.load(ctx).county.Prime(c.Code, c)
		k.counties.known(c.Code)
	}
	want := selectedAt(ctx, "Platform", platforms)
	if len(want) == 0 {
		return
	}
	if l := r.load(ctx); want["township"] {
		// Every township known before any platform's asks for it.
		for i := range ts {
			t := &ts[i].Township
			l.township.Prime(t.Code, t)
			k.townships.known(t.Code)
		}
	}
	for i := range ts {
		for j := range ts[i].CoveredBy {
			k.add(&ts[i].CoveredBy[j].Platform)
		}
		if n := ts[i].Nearest; n != nil {
			k.add(&n.Platform)
		}
	}
	r.prefetchPlatformKeys(ctx, &k, want)
}

// primeSectorCoverage hands the loaders the sectors and counties of the matrix.
func (r *Resolver) primeSectorCoverage(ctx context.Context, sc *db.SectorCoverage) {
	l := r.load(ctx)
	for i := range sc.Sectors {
		l.sector.Prime(sc.Sectors[i].Code, &sc.Sectors[i])
	}
	for i := range sc.Counties {
		l.county.Prime(sc.Counties[i].County.Code, &sc.Counties[i].County)
	}
}
