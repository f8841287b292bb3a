package seed

import (
	"errors"
	"strings"
	"testing"

	"civicmap/db/rowfile"
)

func TestEmbedded(t *testing.T) {
	sectors, err := Sectors()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(sectors); n < 25 || n > 34 {
		t.Errorf("sectors: %d rows, want 25–34", n)
	}
	platforms, err := Platforms()
	if err != nil {
		t.Fatal(err)
	}
	byKind := map[string]int{}
	nReal := 0
	for _, p := range platforms {
		byKind[p.Kind]++
		if p.Provenance == "REAL" {
			nReal++
		}
	}
	want := map[string]int{"LIAISON_GROUP": 141, "WORKSTATION": 49, "SECTOR_HALL": 17}
	for k, n := range want {
		if byKind[k] != n {
			t.Errorf("%s: %d rows, want %d", k, byKind[k], n)
		}
	}
	if nReal != 4 {
		t.Errorf("REAL platforms: %d, want 4", nReal)
	}
}

func TestParsePlatformsErrors(t *testing.T) {
	header := strings.Join(platformHeader, ",") + "\n"
	good := "WS-0001,WORKSTATION,n,350400,350404001,h,PUBLIC_UNIT,,,,ACTIVE,REAL,note\n"
	tests := []struct {
		name, body, field string
		line              int
	}{
		{"kind", strings.Replace(good, "WORKSTATION", "SHOP", 1), "kind", 2},
		{"date", strings.Replace(good, ",,,ACTIVE", ",,2024-13-01,ACTIVE", 1), "established_on", 2},
		{"hall without sector", good + strings.NewReplacer("WS-0001", "SH-0001", "WORKSTATION", "SECTOR_HALL").Replace(good), "sector_code", 3},
		{"duplicate id", good + good, "external_id", 3},
		{"township", strings.Replace(good, "350404001", "3504", 1), "township_code", 2},
		{"illustrative with a date", strings.NewReplacer(",,,ACTIVE,REAL", ",,2022-08-12,ACTIVE,ILLUSTRATIVE").Replace(good), "established_on", 2},
		{"illustrative suspended", strings.Replace(good, "ACTIVE,REAL", "SUSPENDED,ILLUSTRATIVE", 1), "status", 2},
		{"illustrative closed", strings.Replace(good, "ACTIVE,REAL", "CLOSED,ILLUSTRATIVE", 1), "status", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePlatforms("p.csv", []byte(header+tc.body))
			var re *rowfile.Error
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want *rowfile.Error", err)
			}
			if re.Field != tc.field || re.Row != tc.line || re.File != "p.csv" {
				t.Errorf("got file %s line %d field %s, want p.csv line %d field %s", re.File, re.Row, re.Field, tc.line, tc.field)
			}
		})
	}
}
