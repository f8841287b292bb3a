package server_test

import (
	"strings"
	"testing"
)

// TestDirectoryCounts checks what the loaded directory holds, through the API.
func TestDirectoryCounts(t *testing.T) {
	h := newHandler(t, nil)
	var d struct {
		Counties  struct{ TotalCount int }
		Townships struct{ TotalCount int }
		Sectors   struct{ TotalCount int }
		All       struct{ TotalCount int }
		Groups    struct{ TotalCount int }
		Stations  struct{ TotalCount int }
		Halls     struct{ TotalCount int }
		Real      struct{ TotalCount int }
		Dataset   struct {
			Attribution string
			Licence     string
			Sources     []struct {
				Name, Licence string
				Title         *string
				Publisher     *string
				PublishedOn   *string
				Article       bool
			}
		}
	}
	data(t, h, `{
		counties { totalCount }
		townships { totalCount }
		sectors { totalCount }
		all: platforms { totalCount }
		groups: platforms(filter: {kinds: [LIAISON_GROUP]}) { totalCount }
		stations: platforms(filter: {kinds: [WORKSTATION]}) { totalCount }
		halls: platforms(filter: {kinds: [SECTOR_HALL]}) { totalCount }
		real: platforms(filter: {provenance: REAL}) { totalCount }
		dataset { attribution licence sources { name licence title publisher publishedOn article } }
	}`, nil, &d)
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"counties", d.Counties.TotalCount, 11},
		{"townships", d.Townships.TotalCount, 141},
		{"platforms", d.All.TotalCount, 207},
		{"liaison groups", d.Groups.TotalCount, 141},
		{"workstations", d.Stations.TotalCount, 49},
		{"sector halls", d.Halls.TotalCount, 17},
		{"real platforms", d.Real.TotalCount, 4},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %d, want %d", c.name, c.got, c.want)
		}
	}
	if d.Sectors.TotalCount < 17 {
		t.Errorf("sectors: got %d, want at least the 17 the halls use", d.Sectors.TotalCount)
	}
	if d.Dataset.Licence == "" || d.Dataset.Attribution == "" || len(d.Dataset.Sources) == 0 {
		t.Errorf("dataset: attribution, licence and sources must be given: %+v", d.Dataset)
	}
	// The source article is named by the title its copy gives; it names no
	// publisher and gives no date, and none is made up (db/load/sources.go).
	var articles int
	for _, s := range d.Dataset.Sources {
		if !s.Article {
			continue
		}
		articles++
		if s.Title == nil || !strings.Contains(*s.Title, "三明市政协") || s.Publisher != nil || s.PublishedOn != nil {
			t.Errorf("the source article: title %v, publisher %v, published %v; want its title, and no publisher or date",
				deref(s.Title), deref(s.Publisher), deref(s.PublishedOn))
		}
	}
	if articles != 1 {
		t.Errorf("%d sources are the source article, want 1", articles)
	}
}

// TestUnknownPositionsAreHonest: the two townships with no known seat are
// listed, flagged UNKNOWN, and have neither seat nor cell; their liaison groups
// have no location.
func TestUnknownPositionsAreHonest(t *testing.T) {
	h := newHandler(t, nil)
	for _, code := range []string{"350424204", "350481204"} { // 方田乡, 青水畲族乡
		var d struct {
			Township struct {
				PositionQuality string
				Seat, Boundary  any
				Lon, Lat        *float64
				BoundaryQuality *string
				Platforms       struct {
					Nodes []struct {
						Kind, PositionQuality string
						Location              any
					}
				}
			}
		}
		data(t, h, `query($c: String!) { township(code: $c) {
			positionQuality seat boundary lon lat boundaryQuality
			platforms { nodes { kind positionQuality location } } } }`, map[string]any{"c": code}, &d)
		tw := d.Township
		if tw.PositionQuality != "UNKNOWN" || tw.Seat != nil || tw.Boundary != nil || tw.Lon != nil || tw.BoundaryQuality != nil {
			t.Errorf("%s: want UNKNOWN with no seat or cell, got %+v", code, tw)
		}
		if len(tw.Platforms.Nodes) == 0 {
			t.Errorf("%s: its liaison group is missing", code)
		}
		for _, p := range tw.Platforms.Nodes {
			if p.PositionQuality != "UNKNOWN" || p.Location != nil {
				t.Errorf("%s: platform %+v claims a position the township lacks", code, p)
			}
		}
	}
}
