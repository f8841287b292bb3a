package db

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twpayne/go-geom"
)

// Platform is a platform row, with its township's county code joined in.
type Platform struct {
	ID              int64           `db:"id"`
	ExternalID      string          `db:"external_id"`
	Kind            PlatformKind    `db:"kind"`
	Name            string          `db:"name"`
	OrganiserCode   string          `db:"organiser_code"`
	TownshipCode    string          `db:"township_code"`
	CountyCode      string          `db:"county_code"`
	HostName        string          `db:"host_name"`
	HostType        HostType        `db:"host_type"`
	SectorCode      *string         `db:"sector_code"`
	Address         *string         `db:"address"`
	Lon             *float64        `db:"lon"`
	Lat             *float64        `db:"lat"`
	PositionQuality PositionQuality `db:"position_quality"`
	EstablishedOn   *time.Time      `db:"established_on"`
	Status          PlatformStatus  `db:"status"`
	Provenance      Provenance      `db:"provenance"`
	SourceNote      string          `db:"source_note"`
	CreatedAt       time.Time       `db:"created_at"`
	UpdatedAt       time.Time       `db:"updated_at"`
	Version         int             `db:"version"`
}

// PlatformFilter selects platforms; nil or empty fields select everything.
type PlatformFilter struct {
	Kinds        []PlatformKind
	CountyCode   *string
	TownshipCode *string
	SectorCode   *string
	Provenance   *Provenance
	Status       *PlatformStatus
	Search       *string
	// Within and BBox are not in the GraphQL input PlatformFilter: they come
	// from the `within` and `bbox` arguments of `platforms`, and are here so
	// that the count and every ordering of the list apply them alike. Platforms
	// whose position is UNKNOWN match neither.
	Within geom.T // a Polygon or MultiPolygon (WGS84)
	BBox   *BBox
	// ID, when set, keeps the platform with that database ID only: an OGC
	// API single item, read as the layer reads its features.
	ID *int64
	// BBoxArea is a box given in GCJ-02 or BD-09: the WGS84 polygon it
	// covers, which no WGS84 box equals. It is set instead of BBox.
	BBoxArea geom.T
}

const platformColumns = `p.id, p.external_id, p.kind, p.name, p.organiser_code, p.township_code,
	t.county_code, p.host_name, p.host_type, p.sector_code, p.address,
	ST_X(p.location) AS lon, ST_Y(p.location) AS lat, p.position_quality, p.established_on,
	p.status, p.provenance, p.source_note, p.created_at, p.updated_at, p.version`

// platformFrom is the live platforms: a deleted platform (a tombstone, only in
// the change feed) is left out of every read built on it.
const platformFrom = ` FROM platform p JOIN township t ON t.code = p.township_code AND p.deleted_at IS NULL`

const (
	platformsByIDSQL       = `SELECT ` + platformColumns + platformFrom + ` WHERE p.id = ANY($1) ORDER BY p.id`
	platformsOfTownshipSQL = `SELECT ` + platformColumns + platformFrom + ` WHERE p.township_code = ANY($1) ORDER BY p.id`
)

// where returns the filter as SQL predicates over p (platform) and t (township),
// with their arguments appended to args and numbered after them.
func (f PlatformFilter) where(args ...any) (string, []any) {
	p := predicates{args: args}
	add := p.add
	if len(f.Kinds) > 0 {
		add("p.kind = ANY($?)", kindStrings(f.Kinds))
	}
	if f.ID != nil {
		add("p.id = $?", *f.ID)
	}
	if f.CountyCode != nil {
		add("t.county_code = $?", *f.CountyCode)
	}
	if f.TownshipCode != nil {
		add("p.township_code = $?", *f.TownshipCode)
	}
	if f.SectorCode != nil {
		add("p.sector_code = $?", *f.SectorCode)
	}
	if f.Provenance != nil {
		add("p.provenance = $?", string(*f.Provenance))
	}
	if f.Status != nil {
		add("p.status = $?", string(*f.Status))
	}
	if f.Search != nil && *f.Search != "" {
		add(`p.name ILIKE '%' || $? || '%'`, escapeLike(*f.Search))
	}
	// ST_Intersects looks its candidates up in platform_location_gix (it
	// adds the && bounding-box test), then tests them exactly; a point on
	// the edge is inside.
	if f.Within != nil {
		add("ST_Intersects(p.location, $?::geometry)", geometryArg{f.Within})
	}
	if f.BBoxArea != nil {
		add("ST_Intersects(p.location, $?::geometry)", geometryArg{f.BBoxArea})
	}
	p.meets("p.location", f.BBox)
	return p.sql()
}

// kindStrings returns kinds as the text[] that p.kind is compared with.
func kindStrings(kinds []PlatformKind) []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = string(k)
	}
	return out
}

// escapeLike makes s match itself literally inside a LIKE pattern.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Platforms returns a page of the platforms that match f, ordered by ID. Page.After
// is the decimal ID of the last platform of the previous page. columns names
// the columns (Platform's db tags) that the caller reads, the others being
// left at their zero values, so that a page reads only what a query selects;
// none means every column.
func (db *DB) Platforms(ctx context.Context, f PlatformFilter, page Page, columns ...string) (List[Platform], error) {
	count, rows, err := platformsStatements(f, page, columns)
	if err != nil {
		return List[Platform]{}, fmt.Errorf("list platforms: %w", err)
	}
	collect := func(rows pgx.Rows) ([]Platform, error) { return collectByName[Platform](rows, page.First+1) }
	list, err := queryListScan(ctx, db.pool, page, collect, count.sql, rows.sql, count.args, rows.args)
	if err != nil {
		return list, fmt.Errorf("list platforms: %w", err)
	}
	return list, nil
}

// platformsStatements returns the count and the page statements of Platforms.
func platformsStatements(f PlatformFilter, page Page, columns []string) (count, rows statement, err error) {
	after, err := intKey(page.After)
	if err != nil {
		return count, rows, err
	}
	sel, from, err := platformSelect(columns, f.CountyCode != nil)
	if err != nil {
		return count, rows, err
	}
	where, args := f.where()
	n := len(args)
	count = statement{`SELECT count(*)` + from + where, args}
	rows = statement{`SELECT ` + sel + from + where +
		fmt.Sprintf(` AND p.id > $%d ORDER BY p.id LIMIT $%d`, n+1, n+2), append(args, after, page.limit())}
	return count, rows, nil
}

// platformSelect returns the select list of columns (every column when none)
// and the FROM of the live platforms, which joins the township only for its
// county_code: when that is a column or the filter needs it (joined says so).
// Without the join, a page of platforms in ID order is read from the primary
// key's index; with it, every platform is joined and sorted. from ends in
// the WHERE, or the AND, that the filter's predicates follow.
func platformSelect(columns []string, joined bool) (sel, from string, err error) {
	if len(columns) == 0 {
		return platformColumns, platformFrom + ` WHERE `, nil
	}
	var list []string
	for _, c := range platformColumnList {
		if slices.Contains(columns, c.name) {
			list = append(list, c.sql)
			joined = joined || c.name == "county_code"
		}
	}
	if len(list) != len(columns) {
		return "", "", fmt.Errorf("columns %v: not all are columns of a platform", columns)
	}
	if joined {
		return strings.Join(list, ", "), platformFrom + ` WHERE `, nil
	}
	return strings.Join(list, ", "), liveFromWhere, nil
}

// liveFromWhere is platformFrom without the township: the live platforms,
// followed by the AND of more predicates.
const liveFromWhere = ` FROM platform p WHERE p.deleted_at IS NULL AND `

// platformColumnList is platformColumns one by one, each with its name in
// Platform: the part after " AS ", or after the table's alias.
var platformColumnList = func() []struct{ name, sql string } {
	var out []struct{ name, sql string }
	for c := range strings.SplitSeq(platformColumns, ",") {
		c = strings.TrimSpace(c)
		name := c[strings.LastIndex(c, ".")+1:]
		if _, alias, ok := strings.Cut(c, " AS "); ok {
			name = alias
		}
		out = append(out, struct{ name, sql string }{name, c})
	}
	return out
}()

// PlatformsByID returns the platforms with these IDs; unknown IDs are left out.
func (db *DB) PlatformsByID(ctx context.Context, ids []int64) ([]Platform, error) {
	ps, err := queryRows[Platform](ctx, db.pool, platformsByIDSQL, ids)
	if err != nil {
		return nil, fmt.Errorf("platforms by id: %w", err)
	}
	return ps, nil
}

// PlatformsOfTownships returns every platform in these townships, ordered by ID.
func (db *DB) PlatformsOfTownships(ctx context.Context, townshipCodes []string) ([]Platform, error) {
	ps, err := queryRows[Platform](ctx, db.pool, platformsOfTownshipSQL, townshipCodes)
	if err != nil {
		return nil, fmt.Errorf("platforms of townships: %w", err)
	}
	return ps, nil
}

// PlatformDistance is a platform with its distance in metres from a point or an
// area, geodesic on the WGS84 spheroid.
type PlatformDistance struct {
	Platform
	DistanceMetres float64 `db:"distance_metres"`
}
