package resolvers

import (
	"slices"
	"strings"
)

// platformFieldColumns are the columns of db.Platform (its db tags) that each
// field of the GraphQL Platform reads, directly or through its loaders (a
// township's county is prefetched by the platform's county_code).
var platformFieldColumns = map[string][]string{
	"__typename":      nil,
	"id":              {"id"},
	"externalId":      {"external_id"},
	"kind":            {"kind"},
	"name":            {"name"},
	"organiser":       {"organiser_code"},
	"township":        {"township_code", "county_code"},
	"county":          {"county_code"},
	"hostName":        {"host_name"},
	"hostType":        {"host_type"},
	"sector":          {"sector_code"},
	"address":         {"address"},
	"location":        {"lon", "lat"},
	"lon":             {"lon"},
	"lat":             {"lat"},
	"positionQuality": {"position_quality"},
	"establishedOn":   {"established_on"},
	"status":          {"status"},
	"provenance":      {"provenance"},
	"sourceNote":      {"source_note"},
	"createdAt":       {"created_at"},
	"updatedAt":       {"updated_at"},
	"version":         {"version"},
}

// platformColumns returns the columns that the selected fields of a page of
// platforms read (want, from selected), always with the ID, which orders the
// page and makes its cursors. It returns nil, every column, when it cannot
// tell: no selection, or a field it does not know.
func platformColumns(want map[string]bool) []string {
	if want == nil {
		return nil
	}
	cols := []string{"id"}
	for field := range want {
		if strings.Contains(field, ".") {
			continue // a nested field: its parent says what it reads
		}
		fc, ok := platformFieldColumns[field]
		if !ok {
			return nil
		}
		for _, c := range fc {
			if !slices.Contains(cols, c) {
				cols = append(cols, c)
			}
		}
	}
	return cols
}
