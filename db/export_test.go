package db

import "testing"

// Statement is one of the spatial queries' statements, which the plan tests in
// db_test explain: they cannot reach unexported names.
type Statement struct {
	SQL  string
	Args []any
}

// PlatformsPageStatement returns the page statement of Platforms.
func PlatformsPageStatement(t testing.TB, f PlatformFilter, page Page) Statement {
	t.Helper()
	_, rows, err := platformsStatements(f, page)
	if err != nil {
		t.Fatal(err)
	}
	return Statement{rows.sql, rows.args}
}

// PlatformsNearPageStatement returns the page statement of PlatformsNear.
func PlatformsNearPageStatement(t testing.TB, f PlatformFilter, near Near, page Page) Statement {
	t.Helper()
	_, rows, err := nearStatements(f, near, page)
	if err != nil {
		t.Fatal(err)
	}
	return Statement{rows.sql, rows.args}
}

// NearestStatement returns the statement of NearestPlatforms.
func NearestStatement(lon, lat float64, kinds []PlatformKind, limit int) Statement {
	s := nearestStatement(lon, lat, kinds, limit)
	return Statement{s.sql, s.args}
}

// CountyAtStatement returns the statement of PlaceAt that finds the county.
func CountyAtStatement(lon, lat float64) Statement {
	return Statement{countyAtSQL, []any{lon, lat}}
}

// TownshipAtStatement returns the statement of PlaceAt that finds the township.
func TownshipAtStatement(lon, lat float64) Statement {
	return Statement{townshipAtSQL, []any{lon, lat}}
}
