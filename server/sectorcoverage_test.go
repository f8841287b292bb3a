package server_test

import (
	"slices"
	"testing"
)

// TestSectorCoverage: every county is served by the city's six halls and by
// its own CPPCC's one hall, and by no other county's.
func TestSectorCoverage(t *testing.T) {
	h := newHandler(t, nil)
	citySectors := []string{"NONGGONG", "QINGNIAN", "TIYU", "YIYAO", "SHEBAO", "MINZU"}
	ownSector := map[string]string{
		"350404": "JIAOYU", "350405": "JINGJI", "350421": "NONGYE", "350423": "WENYI", "350424": "KEJI",
		"350425": "GONGSHANGLIAN", "350426": "FULIAN", "350428": "MINJIN", "350429": "JIUSAN", "350430": "ZHIGONG",
		"350481": "MINMENG", // 永安市政协民盟界别议政厅, the first democratic-party sector hall in Fujian
	}
	type matrix struct {
		Sectors  []struct{ Code string }
		Counties []struct {
			County      struct{ Code string }
			ServedCount int
			Sectors     []struct {
				Sector struct{ Code string }
				Served bool
				Halls  []struct {
					ID, Kind, Status string
					Sector           struct{ Code string }
					Organiser        struct {
						Level  string
						County *struct{ Code string }
					}
				}
			}
		}
	}
	const query = `query($county: String) { sectorCoverage(countyCode: $county) {
		sectors { code }
		counties { county { code } servedCount sectors { sector { code } served
			halls { id kind status sector { code } organiser { level county { code } } } } } } }`
	for _, county := range []string{"", "350481"} {
		var d struct{ SectorCoverage matrix }
		data(t, h, query, map[string]any{"county": orNull(county)}, &d)
		m := d.SectorCoverage
		if len(m.Sectors) != 30 {
			t.Fatalf("%d sectors, want all 30", len(m.Sectors))
		}
		if want := map[string]int{"": 11, "350481": 1}[county]; len(m.Counties) != want {
			t.Fatalf("countyCode %q: %d counties, want %d", county, len(m.Counties), want)
		}
		halls := 0
		for _, row := range m.Counties {
			code := row.County.Code
			want := append(slices.Clone(citySectors), ownSector[code])
			var served []string
			for i, s := range row.Sectors {
				if s.Sector.Code != m.Sectors[i].Code {
					t.Fatalf("%s: column %d is %s, want %s", code, i, s.Sector.Code, m.Sectors[i].Code)
				}
				if s.Served != (len(s.Halls) > 0) {
					t.Errorf("%s %s: served %v with %d halls", code, s.Sector.Code, s.Served, len(s.Halls))
				}
				if s.Served {
					served = append(served, s.Sector.Code)
				}
				for j, hall := range s.Halls {
					halls++
					o := hall.Organiser
					if hall.Kind != "SECTOR_HALL" || hall.Status != "ACTIVE" || hall.Sector.Code != s.Sector.Code {
						t.Errorf("%s %s: hall %+v", code, s.Sector.Code, hall)
					}
					if o.Level != "CITY" && (o.County == nil || o.County.Code != code) {
						t.Errorf("%s %s: a hall of another county's CPPCC: %+v", code, s.Sector.Code, o)
					}
					if j > 0 && hall.ID == s.Halls[j-1].ID {
						t.Errorf("%s %s: a hall twice", code, s.Sector.Code)
					}
				}
			}
			slices.Sort(served)
			slices.Sort(want)
			if !slices.Equal(served, want) || row.ServedCount != 7 {
				t.Errorf("%s: served %v (servedCount %d), want %v (7)", code, served, row.ServedCount, want)
			}
		}
		// Every county gets the city's 6 halls and its own.
		if want := 7 * len(m.Counties); halls != want {
			t.Errorf("countyCode %q: %d halls in the matrix, want %d", county, halls, want)
		}
	}
}
