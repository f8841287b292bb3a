package resolvers

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"

	"civicmap/db"
	"civicmap/errcode"
	"civicmap/graph/model"
	"civicmap/graph/relay"
)

// Page sizes: first defaults to DefaultFirst (the schema's default; the server
// prices pages by it) and may not exceed maxFirst, which still fits the largest
// legitimate page (all 207 platforms) in one request.
const (
	DefaultFirst = 50
	maxFirst     = 500
)

// The lists whose cursors are told apart, so a cursor of one is refused by another.
const (
	countyList   = "counties"
	townshipList = "townships"
	platformList = "platforms"
	sectorList   = "sectors"
	// uncoveredList is ordered by distance, then code: see db.DistanceKey.
	uncoveredList = "uncoveredTownships"
	// platformNearList is platforms(near:), ordered by distance, then ID: its
	// keys are DistanceKeys, and an ID-ordered list's cursor means nothing in it.
	platformNearList = "platformsNear"
	changeList       = "changes"
	// qualityList is ordered by reason, then code: see qualityKey.
	qualityList = "dataQualityItems"
)

// pageArgs checks first and after and returns the page they ask for.
func pageArgs(list string, first *int, after *string) (db.Page, error) {
	p := db.Page{First: DefaultFirst}
	if first != nil {
		p.First = *first
	}
	if p.First < 0 || p.First > maxFirst {
		return p, errcode.Invalid("first", "must be between 0 and %d, got %d; page through longer lists with `after`", maxFirst, p.First)
	}
	if after != nil && *after != "" {
		key, ok := relay.ParseCursor(list, *after)
		if !ok || !validKey(list, key) {
			return p, errcode.Invalid("after", "%q is not a cursor of this list; pass an endCursor or cursor that this list returned", *after)
		}
		p.After = key
	}
	return p, nil
}

// listPage is pageArgs for a list that db pages in SQL: it leaves out the
// count of the whole list when the query does not ask for totalCount.
func listPage(ctx context.Context, list string, first *int, after *string) (db.Page, error) {
	p, err := pageArgs(list, first, after)
	p.SkipTotal = !selects(ctx, "totalCount")
	return p, err
}

// edges returns the edges of rows, each built by edge with its cursor, and the
// page info of a page that starts after `after`. The edges are made only when
// the query selects them: a cursor for each row of a list read through its
// nodes was a tenth of a worklist's work (pprof).
func edges[T any, E any](ctx context.Context, list string, rows []T, hasNext bool, page db.Page, key func(*T) string, edge func(string, *T) E) ([]E, *model.PageInfo) {
	info := &model.PageInfo{HasNextPage: hasNext, HasPreviousPage: page.After != ""}
	if len(rows) == 0 {
		return []E{}, info
	}
	first, last := relay.Cursor(list, key(&rows[0])), relay.Cursor(list, key(&rows[len(rows)-1]))
	info.StartCursor, info.EndCursor = &first, &last
	if !selects(ctx, "edges") {
		return nil, info
	}
	es := make([]E, len(rows))
	for i := range rows {
		es[i] = edge(relay.Cursor(list, key(&rows[i])), &rows[i])
	}
	return es, info
}

// pageOf cuts one page out of a whole list already in memory, in the same order
// and with the same cursors as the lists paged in SQL.
func pageOf[T any](rows []T, page db.Page, key func(*T) string, less func(a, b string) bool) db.List[T] {
	start := 0
	if page.After != "" {
		for start < len(rows) && !less(page.After, key(&rows[start])) {
			start++
		}
	}
	rest := rows[start:]
	list := db.List[T]{Rows: rest, Total: len(rows)}
	if len(rest) > page.First {
		list.Rows, list.HasNext = rest[:page.First], true
	}
	return list
}

func countyConnection(ctx context.Context, list db.List[db.County], page db.Page) *model.CountyConnection {
	es, info := edges(ctx, countyList, list.Rows, list.HasNext, page, countyKey,
		func(c string, n *db.County) model.CountyEdge { return model.CountyEdge{Cursor: c, Node: n} })
	return &model.CountyConnection{Edges: es, Nodes: list.Rows, PageInfo: info, TotalCount: list.Total}
}

func townshipConnection(ctx context.Context, list db.List[db.Township], page db.Page) *model.TownshipConnection {
	es, info := edges(ctx, townshipList, list.Rows, list.HasNext, page, townshipKey,
		func(c string, n *db.Township) model.TownshipEdge { return model.TownshipEdge{Cursor: c, Node: n} })
	return &model.TownshipConnection{Edges: es, Nodes: list.Rows, PageInfo: info, TotalCount: list.Total}
}

func qualityConnection(ctx context.Context, list db.List[db.QualityItem], page db.Page) *model.DataQualityItemConnection {
	es, info := edges(ctx, qualityList, list.Rows, list.HasNext, page, qualityKey,
		func(c string, n *db.QualityItem) model.DataQualityItemEdge {
			return model.DataQualityItemEdge{Cursor: c, Node: n}
		})
	return &model.DataQualityItemConnection{Edges: es, Nodes: list.Rows, PageInfo: info, TotalCount: list.Total}
}

func platformConnection(ctx context.Context, list db.List[db.Platform], page db.Page) *model.PlatformConnection {
	es, info := edges(ctx, platformList, list.Rows, list.HasNext, page, platformKey,
		func(c string, n *db.Platform) model.PlatformEdge { return model.PlatformEdge{Cursor: c, Node: n} })
	return &model.PlatformConnection{Edges: es, Nodes: list.Rows, PageInfo: info, TotalCount: list.Total}
}

func townshipCoverageConnection(ctx context.Context, list db.List[db.TownshipCoverage], page db.Page) *model.TownshipCoverageConnection {
	es, info := edges(ctx, uncoveredList, list.Rows, list.HasNext, page, uncoveredKey,
		func(c string, n *db.TownshipCoverage) model.TownshipCoverageEdge {
			return model.TownshipCoverageEdge{Cursor: c, Node: n}
		})
	return &model.TownshipCoverageConnection{Edges: es, Nodes: list.Rows, PageInfo: info, TotalCount: list.Total}
}

// platformNearConnection is platformConnection for the near list: its edges
// carry their distances.
func platformNearConnection(ctx context.Context, list db.List[db.PlatformDistance], page db.Page) *model.PlatformConnection {
	es, info := edges(ctx, platformNearList, list.Rows, list.HasNext, page, platformDistanceKey,
		func(c string, n *db.PlatformDistance) model.PlatformEdge {
			return model.PlatformEdge{Cursor: c, Node: &n.Platform, DistanceMetres: &n.DistanceMetres}
		})
	return &model.PlatformConnection{Edges: es, Nodes: platformsOf(list.Rows), PageInfo: info, TotalCount: list.Total}
}

// platformsOf returns the platforms of a list of platforms with distances.
func platformsOf(ps []db.PlatformDistance) []db.Platform {
	out := make([]db.Platform, len(ps))
	for i := range ps {
		out[i] = ps[i].Platform
	}
	return out
}

func sectorConnection(ctx context.Context, list db.List[db.Sector], page db.Page) *model.SectorConnection {
	es, info := edges(ctx, sectorList, list.Rows, list.HasNext, page, sectorKey,
		func(c string, n *db.Sector) model.SectorEdge { return model.SectorEdge{Cursor: c, Node: n} })
	return &model.SectorConnection{Edges: es, Nodes: list.Rows, PageInfo: info, TotalCount: list.Total}
}

// ChangeCursor is the change feed's cursor after the change numbered seq, for
// the exports that continue into the feed.
func ChangeCursor(seq int64) string {
	return relay.Cursor(changeList, strconv.FormatInt(seq, 10))
}

// changeConnection is a page of the change feed. Its endCursor is never null:
// on an empty page it is where the page started, so that a poller can always
// store it and ask again.
func changeConnection(ctx context.Context, rows []db.Change, hasNext bool, page db.Page) *model.ChangeConnection {
	es, info := edges(ctx, changeList, rows, hasNext, page, changeKey,
		func(c string, n *db.Change) model.ChangeEdge { return model.ChangeEdge{Cursor: c, Node: n} })
	if info.EndCursor == nil {
		c := relay.Cursor(changeList, cmp.Or(page.After, "0"))
		info.EndCursor = &c
	}
	return &model.ChangeConnection{Edges: es, Nodes: rows, PageInfo: info}
}

// validKey reports whether key can be the key of a row of list: a DistanceKey
// for the lists ordered by distance (only the worklist has rows with no
// distance), a reason's place and a code for the quality report, digits
// (codes, IDs or positions) for the others.
func validKey(list, key string) bool {
	switch list {
	case uncoveredList, platformNearList:
		metres, k, err := db.ParseDistanceKey(key)
		return err == nil && digits(k) && (metres != nil || list == uncoveredList)
	case qualityList:
		_, _, ok := parseQualityKey(key)
		return ok
	}
	return digits(key)
}

// digits reports whether s is a key of a list ordered by codes, IDs or
// positions: up to 18 digits, so that every one fits an int64.
func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != "" && len(s) <= 18
}

func countyKey(c *db.County) string     { return c.Code }
func townshipKey(t *db.Township) string { return t.Code }
func platformKey(p *db.Platform) string { return strconv.FormatInt(p.ID, 10) }
func sectorKey(s *db.Sector) string     { return strconv.Itoa(s.Ord) }
func platformDistanceKey(p *db.PlatformDistance) string {
	return db.DistanceKey(&p.DistanceMetres, strconv.FormatInt(p.ID, 10))
}

func uncoveredKey(t *db.TownshipCoverage) string {
	return db.DistanceKey(t.NearestMetres(), t.Code)
}
func changeKey(c *db.Change) string { return strconv.FormatInt(c.Seq, 10) }

// qualityKey is an item's place in the report: its reason's place in
// db.QualityReasons and its code, "4:SH-0008".
func qualityKey(it *db.QualityItem) string {
	return strconv.Itoa(slices.Index(db.QualityReasons, it.Reason)) + ":" + it.Code
}

// parseQualityKey reads a qualityKey: a reason's place and a code of at
// most 64 bytes.
func parseQualityKey(key string) (reason int, code string, ok bool) {
	r, code, found := strings.Cut(key, ":")
	reason, err := strconv.Atoi(r)
	ok = found && err == nil && digits(r) && reason < len(db.QualityReasons) && code != "" && len(code) <= 64
	return reason, code, ok
}

// qualityLess orders two qualityKeys as the report orders its items.
func qualityLess(a, b string) bool {
	ar, ac, _ := parseQualityKey(a)
	br, bc, _ := parseQualityKey(b)
	return ar < br || ar == br && ac < bc
}

// Keys of the same width compare as strings; IDs compare as numbers.
func codeLess(a, b string) bool { return a < b }
func idLess(a, b string) bool {
	return len(a) < len(b) || len(a) == len(b) && a < b
}
