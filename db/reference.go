package db

import (
	"context"
	"fmt"
	"time"

	"civicmap/errcode"
)

// Organiser is a CPPCC that runs platforms: the city's or a county's.
type Organiser struct {
	Code       string         `db:"code"`
	Name       string         `db:"name"`
	Level      OrganiserLevel `db:"level"`
	CountyCode *string        `db:"county_code"`
}

// Sector is a CPPCC sector (界别).
type Sector struct {
	Code   string `db:"code"`
	Name   string `db:"name"`
	NameEn string `db:"name_en"`
	// Ord is the sector's place in the CPPCC's order, and its key in pages.
	Ord int `db:"ord"`
}

// Dataset says where the loaded data comes from.
type Dataset struct {
	Attribution string       `db:"attribution"`
	Licence     string       `db:"licence"`
	LoadedAt    time.Time    `db:"loaded_at"`
	Sources     []DataSource `db:"-"`
}

// DataSource is one source of the data. Title, Publisher and PublishedOn are
// set where the source is an article that gives them, nil where it does not.
type DataSource struct {
	Name        string     `db:"name"`
	URL         string     `db:"url"`
	Licence     string     `db:"licence"`
	UsedFor     string     `db:"used_for"`
	Title       *string    `db:"title"`
	Publisher   *string    `db:"publisher"`
	PublishedOn *time.Time `db:"published_on"`
	Article     bool       `db:"article"`
}

const (
	organisersByCodeSQL = `SELECT code, name, level, county_code FROM organiser WHERE code = ANY($1) ORDER BY code`
	sectorsCountSQL     = `SELECT count(*) FROM sector`
	// Sectors page in the CPPCC's order; the cursor is the position in it.
	sectorsPageSQL    = `SELECT code, name, name_en, ord FROM sector WHERE ord > $1 ORDER BY ord LIMIT $2`
	sectorsByCodeSQL  = `SELECT code, name, name_en, ord FROM sector WHERE code = ANY($1) ORDER BY ord`
	allSectorsSQL     = `SELECT code, name, name_en, ord FROM sector ORDER BY ord`
	datasetSQL        = `SELECT attribution, licence, loaded_at FROM dataset`
	datasetSourcesSQL = `SELECT name, url, licence, used_for, title, publisher, published_on, article FROM dataset_source ORDER BY ord`
)

// OrganisersByCode returns the organisers with these codes.
func (db *DB) OrganisersByCode(ctx context.Context, codes []string) ([]Organiser, error) {
	os, err := queryRows[Organiser](ctx, db.pool, organisersByCodeSQL, codes)
	if err != nil {
		return nil, fmt.Errorf("organisers by code: %w", err)
	}
	return os, nil
}

// SectorsByCode returns the sectors with these codes.
func (db *DB) SectorsByCode(ctx context.Context, codes []string) ([]Sector, error) {
	ss, err := queryRows[Sector](ctx, db.pool, sectorsByCodeSQL, codes)
	if err != nil {
		return nil, fmt.Errorf("sectors by code: %w", err)
	}
	return ss, nil
}

// Sectors returns a page of sectors in the CPPCC's order. Page.After is the
// decimal Ord of the last sector of the previous page.
func (db *DB) Sectors(ctx context.Context, page Page) (List[Sector], error) {
	after, err := intKey(page.After)
	if err != nil {
		return List[Sector]{}, fmt.Errorf("list sectors: %w", err)
	}
	list, err := queryList[Sector](ctx, db.pool, page, sectorsCountSQL, sectorsPageSQL, nil, []any{after, page.limit()})
	if err != nil {
		return list, fmt.Errorf("list sectors: %w", err)
	}
	return list, nil
}

// Dataset returns the attribution, licence and sources of the loaded data. It
// returns NOT_FOUND when nothing was loaded yet.
func (db *DB) Dataset(ctx context.Context) (*Dataset, error) {
	ds, err := queryRows[Dataset](ctx, db.pool, datasetSQL)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	if len(ds) == 0 {
		return nil, errcode.Errorf(errcode.NotFound, "no data has been loaded yet: run `civicmap load`")
	}
	d := &ds[0]
	if d.Sources, err = queryRows[DataSource](ctx, db.pool, datasetSourcesSQL); err != nil {
		return nil, fmt.Errorf("dataset sources: %w", err)
	}
	return d, nil
}
