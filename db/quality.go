package db

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// The data-quality report (issue 15): each record a planner should doubt, with
// the reason, and the share of the directory that civicmap wrote itself. It
// reads every live platform and township once (2 s for a directory of all
// China), so it is kept by data version: the map page asks for it on every
// load, and a client pages through its items.

// QualityReason says why a record is doubtful.
type QualityReason string

// Quality reasons, in the order the report lists them.
const (
	QualityOutsideOwnCell          QualityReason = "OUTSIDE_OWN_CELL"
	QualityTownshipSeatUnknown     QualityReason = "TOWNSHIP_SEAT_UNKNOWN"
	QualityTownshipSeatApproximate QualityReason = "TOWNSHIP_SEAT_APPROXIMATE"
	QualityPositionUnknown         QualityReason = "POSITION_UNKNOWN"
	QualityPositionApproximate     QualityReason = "POSITION_APPROXIMATE"
	QualityDuplicateName           QualityReason = "DUPLICATE_NAME"
	QualityInventedDate            QualityReason = "INVENTED_DATE"
	QualityDateAfterSource         QualityReason = "DATE_AFTER_SOURCE"
	QualityUnsupportedStatus       QualityReason = "UNSUPPORTED_STATUS"
)

// QualityReasons are every reason, in the report's order.
var QualityReasons = []QualityReason{
	QualityOutsideOwnCell, QualityTownshipSeatUnknown, QualityTownshipSeatApproximate,
	QualityPositionUnknown, QualityPositionApproximate, QualityDuplicateName,
	QualityInventedDate, QualityDateAfterSource, QualityUnsupportedStatus,
}

// SourceArticleDate is the bound the report falls back on when the dataset's
// source article has no date (dataset_source.published_on of the row marked
// article, migration 0007): the "now" against which establishedOn is checked.
// The article gives its own dates without a year ("last August", "6 April"),
// names no publisher and no date of its own; the address of the one copy
// found carries 2023-06-14 and the text speaks of "last August" and "early
// this year" (db/load/sources.go), so the report takes the last day of 2023 as
// the latest date the article can have, not as its date. A date recorded
// for the article replaces this bound at once (sourceDateExpr).
func SourceArticleDate() time.Time { return time.Date(2023, time.December, 31, 0, 0, 0, 0, time.UTC) }

// sourceDateExpr is the source article's date, or the bound $1 when none is
// recorded. The date and the items are read by the same expression in one
// snapshot, so the items compare with the date the answer states.
const sourceDateExpr = `coalesce((SELECT published_on FROM dataset_source WHERE article), $1::date)`

// DataQuality is the report.
type DataQuality struct {
	// SourceDate is the source article's date, or SourceArticleDate() when
	// the dataset records none; said in the answer so that a reader knows
	// what DATE_AFTER_SOURCE compared with.
	SourceDate time.Time
	// Platforms and Townships are how many live records were examined;
	// Illustrative is how many of the platforms civicmap wrote itself.
	Platforms    int `db:"platforms"`
	Townships    int `db:"townships"`
	Illustrative int `db:"illustrative"`
	// Items are ordered by reason (QualityReasons), then by code.
	Items  []QualityItem
	counts []QualityCount
}

// ItemsFor returns the items of reasons, in the report's order; every item
// when reasons is nil.
func (q *DataQuality) ItemsFor(reasons []QualityReason) []QualityItem {
	if reasons == nil {
		return q.Items
	}
	var out []QualityItem
	for _, it := range q.Items {
		if slices.Contains(reasons, it.Reason) {
			out = append(out, it)
		}
	}
	return out
}

// IllustrativeRatio is Illustrative / Platforms; nil when there are none.
func (q *DataQuality) IllustrativeRatio() *float64 {
	if q.Platforms == 0 {
		return nil
	}
	r := float64(q.Illustrative) / float64(q.Platforms)
	return &r
}

// Counts are the items of each reason, every reason included, in order.
func (q *DataQuality) Counts() []QualityCount { return q.counts }

// count counts q's items by reason, once: the report is kept and asked
// again and again.
func (q *DataQuality) count() {
	q.counts = make([]QualityCount, len(QualityReasons))
	for i, r := range QualityReasons {
		q.counts[i].Reason = r
	}
	for j := range q.Items {
		q.counts[slices.Index(QualityReasons, q.Items[j].Reason)].Records++
	}
}

// QualityCount is how many records are doubted for one reason.
type QualityCount struct {
	Reason  QualityReason
	Records int
}

// QualityItem is one doubtful record and why. A platform's item carries the
// platform; a township's carries none.
type QualityItem struct {
	Reason QualityReason
	// Code is the platform's external ID or the township's 9-digit code.
	Code         string
	Name         string
	TownshipCode string
	Platform     *Platform
	// DistanceMetres is set for OUTSIDE_OWN_CELL: how far outside its
	// township's cell the platform lies.
	DistanceMetres *float64
	// RelatedCodes are the other records the reason names: the townships
	// whose cells hold the platform (OUTSIDE_OWN_CELL), the platforms of the
	// same name (DUPLICATE_NAME).
	RelatedCodes []string
	Message      string
}

// qualityPlatformsSQL finds the doubtful platforms, one row per platform and
// reason, with the platform whole. $1 is SourceArticleDate(), the bound of
// sourceDateExpr.
//
// Outside its cell is measured as coverage measures (cell_metres, migration
// 0005): in the cell's own UTM zone, 0 inside, else geodesic metres to the
// cell's nearest point, so a platform the report calls inside is one coverage
// counts inside. The cells that do hold it are found with the box test on
// township_boundary_gix. Townships with no cell (seat UNKNOWN) cannot be
// tested, and platforms with no position are POSITION_UNKNOWN instead.
const qualityPlatformsSQL = `
WITH live AS ( -- read once: PostgreSQL keeps a CTE that is used several times
	SELECT p.* FROM platform p WHERE p.deleted_at IS NULL
), flagged AS (
	SELECT p.id, 'OUTSIDE_OWN_CELL' AS reason, m.metres,
		coalesce(holding.codes, '{}') AS related, coalesce(holding.names, '{}') AS related_names
	FROM live p
	JOIN township t ON t.code = p.township_code
	CROSS JOIN LATERAL (SELECT cell_metres(t.boundary_utm, p.location) AS metres) m
	CROSS JOIN LATERAL (SELECT array_agg(o.code ORDER BY o.code) AS codes, array_agg(o.name ORDER BY o.code) AS names
		FROM township o
		WHERE o.boundary && p.location
			AND ST_Intersects(o.boundary_utm, ST_Transform(p.location, ST_SRID(o.boundary_utm)))) holding
	WHERE p.location IS NOT NULL AND t.boundary_utm IS NOT NULL AND m.metres > 0

	UNION ALL
	SELECT p.id, 'POSITION_' || p.position_quality, NULL, '{}', '{}'
	FROM live p WHERE p.position_quality <> 'REAL'

	UNION ALL
	SELECT d.id, 'DUPLICATE_NAME', NULL, array_remove(d.same_name, d.external_id), '{}'
	FROM (SELECT p.id, p.external_id,
			array_agg(p.external_id) OVER (PARTITION BY p.name ORDER BY p.external_id
				ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS same_name
		FROM live p) d
	WHERE cardinality(d.same_name) > 1

	-- The source article gives no dated record a year, so a date on an
	-- ILLUSTRATIVE record is civicmap's invention.
	UNION ALL
	SELECT p.id, 'INVENTED_DATE', NULL, '{}', '{}'
	FROM live p WHERE p.provenance = 'ILLUSTRATIVE' AND p.established_on IS NOT NULL

	UNION ALL
	SELECT p.id, 'DATE_AFTER_SOURCE', NULL, '{}', '{}'
	FROM live p WHERE p.established_on > ` + sourceDateExpr + `

	-- The article reports its platforms as working; a suspended or closed
	-- ILLUSTRATIVE record claims what no source says.
	UNION ALL
	SELECT p.id, 'UNSUPPORTED_STATUS', NULL, '{}', '{}'
	FROM live p WHERE p.provenance = 'ILLUSTRATIVE' AND p.status <> 'ACTIVE'
)
SELECT f.reason, f.metres AS distance_metres, f.related AS related_codes, f.related_names,
	t.name AS township_name, ` + platformColumns + `
FROM flagged f
JOIN platform p ON p.id = f.id
JOIN township t ON t.code = p.township_code`

// qualityTownshipsSQL finds the townships whose seat is not known for sure.
const qualityTownshipsSQL = `
SELECT 'TOWNSHIP_SEAT_' || position_quality AS reason, code, name
FROM township WHERE position_quality <> 'REAL'`

// qualityCountsSQL counts what the report examined.
const qualityCountsSQL = `
SELECT count(*) AS platforms, count(*) FILTER (WHERE provenance = 'ILLUSTRATIVE') AS illustrative,
	(SELECT count(*) FROM township) AS townships
FROM platform WHERE deleted_at IS NULL`

// qualityPlatformRow is a row of qualityPlatformsSQL.
type qualityPlatformRow struct {
	Reason         QualityReason `db:"reason"`
	DistanceMetres *float64      `db:"distance_metres"`
	RelatedCodes   []string      `db:"related_codes"`
	RelatedNames   []string      `db:"related_names"`
	TownshipName   string        `db:"township_name"`
	Platform
}

// qualityTownshipRow is a row of qualityTownshipsSQL.
type qualityTownshipRow struct {
	Reason QualityReason `db:"reason"`
	Code   string        `db:"code"`
	Name   string        `db:"name"`
}

// DataQuality returns the report, kept while the data version holds. Its
// statements read one snapshot, so the counts and the items agree even while
// platforms are written; the report is kept under the version that snapshot
// read. It is shared: nothing may change it.
func (db *DB) DataQuality(ctx context.Context) (*DataQuality, error) {
	if db.Caching() {
		version, err := db.DataVersion(ctx)
		if err != nil {
			return nil, fmt.Errorf("data quality: %w", err)
		}
		if q, ok := db.quality.Get(version, ""); ok {
			return q, nil
		}
	}
	q, version, err := db.readDataQuality(ctx)
	if err != nil {
		return nil, fmt.Errorf("data quality: %w", err)
	}
	db.quality.Put(version, "", q, 0)
	return q, nil
}

// readDataQuality reads the report and the data version of its snapshot.
func (db *DB) readDataQuality(ctx context.Context) (*DataQuality, string, error) {
	q := &DataQuality{}
	var version string
	var platforms []qualityPlatformRow
	var townships []qualityTownshipRow
	var b pgx.Batch
	bound := SourceArticleDate()
	b.Queue(dataVersionSQL).QueryRow(func(row pgx.Row) error { return row.Scan(&version) })
	b.Queue(`SELECT `+sourceDateExpr, bound).QueryRow(func(row pgx.Row) error { return row.Scan(&q.SourceDate) })
	b.Queue(qualityCountsSQL).QueryRow(func(row pgx.Row) error {
		return row.Scan(&q.Platforms, &q.Illustrative, &q.Townships)
	})
	queueRows(&b, &platforms, qualityPlatformsSQL, bound)
	queueRows(&b, &townships, qualityTownshipsSQL)
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(tx pgx.Tx) error { return tx.SendBatch(ctx, &b).Close() })
	if err != nil {
		return nil, "", err
	}
	q.Items = make([]QualityItem, 0, len(platforms)+len(townships))
	for i := range platforms {
		q.Items = append(q.Items, platforms[i].item(q.SourceDate))
	}
	for _, t := range townships {
		q.Items = append(q.Items, t.item())
	}
	slices.SortFunc(q.Items, func(a, b QualityItem) int {
		return cmp.Or(cmp.Compare(slices.Index(QualityReasons, a.Reason), slices.Index(QualityReasons, b.Reason)),
			cmp.Compare(a.Code, b.Code))
	})
	q.count()
	return q, version, nil
}

// item is the row as a report item, with its sentence.
func (r *qualityPlatformRow) item(sourceDate time.Time) QualityItem {
	p := r.Platform
	it := QualityItem{Reason: r.Reason, Code: p.ExternalID, Name: p.Name, TownshipCode: p.TownshipCode,
		Platform: &p, DistanceMetres: r.DistanceMetres, RelatedCodes: r.RelatedCodes}
	who := fmt.Sprintf("%s (%s)", p.Name, p.ExternalID)
	switch r.Reason {
	case QualityOutsideOwnCell:
		where := "in no township's cell"
		if len(r.RelatedCodes) > 0 {
			var cells []string
			for i, code := range r.RelatedCodes {
				cells = append(cells, fmt.Sprintf("%s (%s)", r.RelatedNames[i], code))
			}
			where = "inside the cell of " + strings.Join(cells, " and ")
		}
		it.Message = fmt.Sprintf("%s lies %.0f m outside the cell of its township %s (%s), %s: "+
			"its township or its position may be wrong, or the cell, which is derived from the seats.",
			who, *r.DistanceMetres, r.TownshipName, p.TownshipCode, where)
	case QualityPositionUnknown:
		it.Message = fmt.Sprintf("%s has no position: it is listed, but matches no spatial question and covers no township.", who)
	case QualityPositionApproximate:
		it.Message = fmt.Sprintf("The position of %s is APPROXIMATE (its sourceNote says how it was placed): "+
			"distances and coverage measured from it are approximate too.", who)
	case QualityDuplicateName:
		it.Message = fmt.Sprintf("%s has the same name as %s: one may be a duplicate, or the names do not tell them apart.",
			who, strings.Join(r.RelatedCodes, ", "))
	case QualityInventedDate:
		it.Message = fmt.Sprintf("%s is ILLUSTRATIVE and dated %s, a date no source gives: civicmap invented it.",
			who, p.EstablishedOn.Format(time.DateOnly))
	case QualityDateAfterSource:
		it.Message = fmt.Sprintf("%s is dated %s, after the source article's date (taken as %s): the source cannot support it.",
			who, p.EstablishedOn.Format(time.DateOnly), sourceDate.Format(time.DateOnly))
	case QualityUnsupportedStatus:
		it.Message = fmt.Sprintf("%s is ILLUSTRATIVE and %s, a status no source gives: coverage leaves it out.", who, p.Status)
	}
	return it
}

// item is the row as a report item, with its sentence.
func (r qualityTownshipRow) item() QualityItem {
	it := QualityItem{Reason: r.Reason, Code: r.Code, Name: r.Name, TownshipCode: r.Code}
	switch r.Reason {
	case QualityTownshipSeatUnknown:
		it.Message = fmt.Sprintf("No source gives the seat of %s (%s): it has no position and no cell, "+
			"and coverage counts it as a data gap.", r.Name, r.Code)
	case QualityTownshipSeatApproximate:
		it.Message = fmt.Sprintf("The seat of %s (%s) is APPROXIMATE (its sourceNote says how it was placed): "+
			"its cell, its neighbours' cells and every distance to them are approximate too.", r.Name, r.Code)
	}
	return it
}
