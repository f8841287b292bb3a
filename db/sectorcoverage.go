package db

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// SectorCoverage is the county × sector matrix of the deliberation halls: which
// sectors have a hall serving each county.
type SectorCoverage struct {
	// Sectors are every sector, in the CPPCC's order: the columns.
	Sectors []Sector
	// Counties are the rows, ordered by code.
	Counties []CountySectors
}

// CountySectors is one row of the matrix: one entry per sector, in order.
type CountySectors struct {
	County  County
	Sectors []SectorService
}

// ServedCount is the number of sectors with a hall serving the county.
func (c *CountySectors) ServedCount() int {
	n := 0
	for i := range c.Sectors {
		if c.Sectors[i].Served() {
			n++
		}
	}
	return n
}

// SectorService is one cell of the matrix: the halls of a sector serving a county.
type SectorService struct {
	Sector Sector
	// Halls are ordered by ID.
	Halls []Platform
}

// Served reports whether any hall serves.
func (s *SectorService) Served() bool { return len(s.Halls) > 0 }

// hallsServingSQL pairs every ACTIVE hall with the counties it serves: a hall
// of the city CPPCC serves every county, a county CPPCC's hall its own county
// (the organiser's, wherever the hall sits). $1: a county code, or NULL for all.
const hallsServingSQL = `SELECT c.code AS served_county_code, ` + platformColumns + platformFrom + `
	JOIN organiser o ON o.code = p.organiser_code
	JOIN county c ON o.level = 'CITY' OR o.county_code = c.code
	WHERE p.kind = 'SECTOR_HALL' AND p.status = 'ACTIVE' AND ($1::text IS NULL OR c.code = $1)
	ORDER BY c.code, p.id`

// SectorCoverage returns the matrix for every county, or for one county when
// countyCode is not nil.
func (db *DB) SectorCoverage(ctx context.Context, countyCode *string) (*SectorCoverage, error) {
	var sc SectorCoverage
	var counties []County
	var halls []struct {
		ServedCountyCode string `db:"served_county_code"`
		Platform
	}
	var b pgx.Batch
	queueRows(&b, &sc.Sectors, allSectorsSQL)
	queueRows(&b, &counties, countiesOneOrAllSQL, countyCode)
	queueRows(&b, &halls, hallsServingSQL, countyCode)
	if err := db.pool.SendBatch(ctx, &b).Close(); err != nil {
		return nil, fmt.Errorf("sector coverage: %w", err)
	}
	column := make(map[string]int, len(sc.Sectors))
	for i, s := range sc.Sectors {
		column[s.Code] = i
	}
	rows := make(map[string]*CountySectors, len(counties))
	sc.Counties = make([]CountySectors, len(counties))
	for i, c := range counties {
		cs := &sc.Counties[i]
		cs.County = c
		cs.Sectors = make([]SectorService, len(sc.Sectors))
		for j, s := range sc.Sectors {
			cs.Sectors[j].Sector = s
		}
		rows[c.Code] = cs
	}
	for _, h := range halls {
		s := &rows[h.ServedCountyCode].Sectors[column[*h.SectorCode]]
		s.Halls = append(s.Halls, h.Platform)
	}
	return &sc, nil
}
