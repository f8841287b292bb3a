// Package load fills the directory tables from the Sanming reference geography
// (read at run time from a data directory) and the seed in civicmap/db/seed.
//
// A load is one transaction: it either applies completely or changes nothing,
// and a bad input row fails it with a *rowfile.Error (civicmap/db/rowfile)
// naming the file, row and field. Loading the same input twice leaves the
// database as it was: rows are only written where a value differs.
package load

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"civicmap/db"
	"civicmap/db/rowfile"
	"civicmap/db/seed"
)

// Options configures Run.
type Options struct {
	// DataDir holds sanming_counties.geojson, sanming_counties.csv and
	// sanming_townships.csv (the shared Sanming data, never committed here).
	DataDir string
	// Logger receives one line per load; nil discards.
	Logger *slog.Logger
}

// Report says what a load found and changed.
type Report struct {
	Counties   int // counties in the input
	Organisers int // organisers written (the city plus one per county)
	Townships  int // townships in the input
	Cells      int // townships that have a cell after the load
	Sectors    int // sectors in the seed
	Platforms  int // platforms in the seed
	Changed    int // rows inserted or updated, over all tables
	Duration   time.Duration
}

// cityCode is the city CPPCC's organiser code (三明市).
const cityCode = "350400"

// Run loads everything in one transaction. Input errors, from the data
// directory or the seed, are *rowfile.Error; database errors are wrapped with
// the step, and for rows with the row's key.
func Run(ctx context.Context, pool *pgxpool.Pool, opts Options) (Report, error) {
	start := time.Now()
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.DataDir == "" {
		return Report{}, errors.New("load: no data directory given")
	}
	// Read and check every input before touching the database.
	counties, err := readCounties(opts.DataDir)
	if err != nil {
		return Report{}, fmt.Errorf("load: %w", err)
	}
	known := map[string]bool{}
	for _, c := range counties {
		known[c.code] = true
	}
	townships, err := readTownships(opts.DataDir, known)
	if err != nil {
		return Report{}, fmt.Errorf("load: %w", err)
	}
	sectors, err := seed.Sectors()
	if err != nil {
		return Report{}, fmt.Errorf("load: seed: %w", err)
	}
	platforms, err := seed.Platforms()
	if err != nil {
		return Report{}, fmt.Errorf("load: seed: %w", err)
	}

	r := Report{Counties: len(counties), Townships: len(townships), Sectors: len(sectors),
		Platforms: len(platforms), Organisers: len(counties) + 1}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		w := writer{ctx: ctx, tx: tx}
		w.exec("lock", lockLoadSQL)
		// The change feed records the platforms this load writes as the loader's.
		w.err = db.SetActor(ctx, tx, db.ActorLoad)
		for _, c := range counties {
			w.change(fmt.Sprintf("%s row %d (county %s)", countiesGeoJSONFile, c.row, c.code), upsertCountySQL,
				c.code, c.name, c.kind, c.seatLon, c.seatLat, c.geometry, c.areaKm2, c.sourceNote)
		}
		w.checkCounties(counties)
		w.change("organiser "+cityCode, upsertOrganiserSQL, cityCode, "三明市政协", "CITY", nil)
		for _, c := range counties {
			w.change("organiser "+c.code, upsertOrganiserSQL, c.code, c.name+"政协", "COUNTY", c.code)
		}
		for _, t := range townships {
			w.change(fmt.Sprintf("%s row %d (township %s)", townshipsCSVFile, t.line, t.code), upsertTownshipSQL,
				t.code, t.name, t.kind, t.countyCode, t.lon, t.lat, t.positionQuality, t.sourceNote)
		}
		w.change("derive township cells", updateCellsSQL)
		w.change("clear stale township cells", clearStaleCellsSQL)
		w.checkNone(townshipsWithoutCellSQL, "townships with a seat but no cell (seat outside its county?)")
		for _, s := range sectors {
			w.change("sector "+s.Code, upsertSectorSQL, s.Code, s.Name, s.NameEn, s.Ord)
		}
		if w.err == nil {
			n, err := upsertPlatforms(ctx, tx, platforms)
			w.changed += n
			w.err = err
		}
		for _, s := range datasetSources() {
			w.change(fmt.Sprintf("dataset_source %d", s.ord), upsertDatasetSourceSQL, s.ord, s.name, s.url, s.licence, s.usedFor,
				nullable(s.title), nullable(s.publisher), nullable(s.publishedOn), s.article)
		}
		w.change("dataset", upsertDatasetSQL, attribution, licence, w.changed > 0)
		if w.err == nil {
			w.err = tx.QueryRow(ctx, countCellsSQL).Scan(&r.Cells)
		}
		r.Changed = w.changed
		return w.err
	})
	if err == nil && r.Changed > 0 {
		// Fresh statistics, so that the spatial queries' plans walk their
		// indexes at once rather than after autovacuum gets round to it.
		// The load is committed by now, so a failure here only costs speed.
		if _, aerr := pool.Exec(ctx, "ANALYZE"); aerr != nil {
			log.Warn("analyze after load failed", "err", aerr)
		}
	}
	r.Duration = time.Since(start)
	if err != nil {
		log.Error("load failed", "dir", opts.DataDir, "err", err, "duration", r.Duration)
		return Report{}, fmt.Errorf("load: %w", err)
	}
	log.Info("loaded", "dir", opts.DataDir, "counties", r.Counties, "townships", r.Townships,
		"cells", r.Cells, "platforms", r.Platforms, "changed", r.Changed, "duration", r.Duration)
	return r, nil
}

// writer runs statements until the first error, so the load reads as a list of
// steps; it counts affected rows as changes.
type writer struct {
	ctx     context.Context
	tx      pgx.Tx
	err     error
	changed int
}

func (w *writer) exec(step, sql string, args ...any) int {
	if w.err != nil {
		return 0
	}
	tag, err := w.tx.Exec(w.ctx, sql, args...)
	if err != nil {
		w.err = fmt.Errorf("%s: %w", step, err)
		return 0
	}
	return int(tag.RowsAffected())
}

func (w *writer) change(step, sql string, args ...any) { w.changed += w.exec(step, sql, args...) }

// checkCounties fails the load with a *rowfile.Error for the first county whose
// boundary PostGIS parsed but finds invalid (a ring too short, a self-crossing).
func (w *writer) checkCounties(counties []countyRow) {
	if w.err != nil {
		return
	}
	var code, reason string
	err := w.tx.QueryRow(w.ctx, invalidCountiesSQL).Scan(&code, &reason)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return
	case err != nil:
		w.err = fmt.Errorf("check county boundaries: %w", err)
		return
	}
	for _, c := range counties {
		if c.code == code {
			w.err = &rowfile.Error{File: countiesGeoJSONFile, Row: c.row, Field: "geometry",
				Err: fmt.Errorf("county %s: invalid boundary: %s", code, strings.TrimSpace(reason))}
			return
		}
	}
	w.err = fmt.Errorf("county %s (not in this input) has an invalid boundary: %s", code, reason)
}

// checkNone runs a query that lists problems (key, optional detail) and fails
// the load with what when it returns any row.
func (w *writer) checkNone(sql, what string) {
	if w.err != nil {
		return
	}
	rows, err := w.tx.Query(w.ctx, sql)
	if err != nil {
		w.err = fmt.Errorf("%s: %w", what, err)
		return
	}
	var found []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			w.err = err
			return
		}
		found = append(found, fmt.Sprint(vals...))
	}
	if err := rows.Err(); err != nil {
		w.err = fmt.Errorf("%s: %w", what, err)
		return
	}
	if len(found) > 0 {
		w.err = fmt.Errorf("%s: %s", what, strings.Join(found, "; "))
	}
}
