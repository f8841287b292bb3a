package server

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"civicmap/db"
	"civicmap/errcode"
	"civicmap/graph/relay"
)

// ogcCollection is a collection of the OGC API: a layer, its own query
// parameters, and how to read a page of it.
type ogcCollection struct {
	id, title, description string
	// params are the query parameters of its items besides the common ones
	// (itemParams), in the order the API definition lists them.
	params []ogcParam
	// reader checks the collection's own parameters in q, through the same
	// front door as /geojson's, and returns the reader of its pages.
	reader func(s *Server, ctx context.Context, q url.Values) (featureReader, error)
}

// ogcParam is a query parameter, described for the API definition.
type ogcParam struct {
	name, description string
	// schema is its OpenAPI schema.
	schema map[string]any
}

// featureCut is what an items request cuts from a collection besides its own
// filters: a box, or one feature by its id.
type featureCut struct {
	BBox *db.BBox
	// ID, when set, is the id of the one feature wanted.
	ID *string
}

// ogcPage is a page of a collection's features.
type ogcPage struct {
	db.FeatureSet
	// coverage says what the coverage collection's features answer; nil for
	// the other collections.
	coverage *coverageAbout
}

// featureReader reads a page of a collection's features.
type featureReader func(ctx context.Context, cut featureCut, page db.FeaturePage) (ogcPage, error)

// The collections' own parameters, each checked as /geojson checks it.
var (
	simplifyOGCParam = ogcParam{"simplify", "Simplify each boundary by this tolerance in metres (0 to 5000; 0: every vertex).",
		map[string]any{"type": "number", "minimum": 0, "maximum": db.MaxSimplifyMetres, "default": 0}}
	countyOGCParam = ogcParam{"county", "Only the features of the county with this 6-digit code, such as 350481.",
		map[string]any{"type": "string", "pattern": "^[0-9]{6}$"}}
	kindsOGCParam = ogcParam{"kinds", "Platform kinds, comma-separated: LIAISON_GROUP, WORKSTATION, SECTOR_HALL. Absent: every kind.",
		map[string]any{"type": "string"}}
)

// ogcCollectionList lists the collections in the order /collections shows them.
var ogcCollectionList = []ogcCollection{
	{
		id: "counties", title: "Counties (县级行政区)",
		description: "The 11 county-level units of Sanming with their real boundaries (2021). Feature id: the county code.",
		params:      []ogcParam{simplifyOGCParam},
		reader:      countiesReader,
	},
	{
		id: "townships", title: "Township cells (乡镇)",
		description: "The 141 township-level units: APPROXIMATE Voronoi cells of the seats unless an official boundary was imported. " +
			"The two whose position is UNKNOWN have a null geometry. Properties as /geojson/townships. Feature id: the township code.",
		params: []ogcParam{simplifyOGCParam, countyOGCParam},
		reader: townshipsReader,
	},
	{
		id: "platforms", title: "CPPCC platforms (政协平台)",
		description: "Live platforms with a known position: liaison groups, member workstations and sector halls; " +
			"provenance ILLUSTRATIVE marks records the project wrote. Properties as /geojson/platforms. Feature id: the GraphQL global ID.",
		params: []ogcParam{kindsOGCParam,
			{"status", "Only platforms with this status: ACTIVE, SUSPENDED or CLOSED.",
				map[string]any{"type": "string", "enum": []string{"ACTIVE", "SUSPENDED", "CLOSED"}}},
			countyOGCParam},
		reader: platformsReader,
	},
	{
		id: "coverage", title: "Coverage of the townships by platforms",
		description: "The township cells, each with whether an ACTIVE platform of `kinds` lies in it or within `radius` metres " +
			"(coverage: COVERED, UNCOVERED or UNKNOWN_POSITION; covered), the nearest such platform and its distance in metres, " +
			"as GraphQL's coverage answers. Parameterised: `kinds` (every kind when absent) and `radius` (0 when absent).",
		params: []ogcParam{kindsOGCParam,
			{"radius", "Covered within this many metres of the cell (0 to 200000; 0: inside the cell).",
				map[string]any{"type": "number", "minimum": 0, "maximum": db.MaxRadiusMetres, "default": 0}},
			countyOGCParam, simplifyOGCParam},
		reader: coverageReader,
	},
}

// ogcCollectionByID returns the collection id, or NOT_FOUND.
func ogcCollectionByID(id string) (*ogcCollection, error) {
	for i := range ogcCollectionList {
		if ogcCollectionList[i].id == id {
			return &ogcCollectionList[i], nil
		}
	}
	return nil, errcode.Errorf(errcode.NotFound, "no collection %q: the collections are counties, townships, platforms and coverage", id)
}

func countiesReader(s *Server, _ context.Context, q url.Values) (featureReader, error) {
	simplify, err := simplifyParam(q)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, cut featureCut, page db.FeaturePage) (ogcPage, error) {
		set, err := s.db.CountyFeaturePage(ctx, db.CountyFeatureFilter{SimplifyMetres: simplify, Code: cut.ID, BBox: cut.BBox}, page)
		return ogcPage{FeatureSet: set}, err
	}, nil
}

func townshipsReader(s *Server, ctx context.Context, q url.Values) (featureReader, error) {
	f, err := s.townshipFilter(ctx, q)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, cut featureCut, page db.FeaturePage) (ogcPage, error) {
		f.Code, f.BBox = cut.ID, cut.BBox
		set, err := s.db.TownshipFeaturePage(ctx, f, page)
		return ogcPage{FeatureSet: set}, err
	}, nil
}

// townshipFilter reads the township layer's parameters, simplify and county.
func (s *Server) townshipFilter(ctx context.Context, q url.Values) (db.TownshipFeatureFilter, error) {
	var f db.TownshipFeatureFilter
	var err error
	if f.SimplifyMetres, err = simplifyParam(q); err != nil {
		return f, err
	}
	f.CountyCode, err = s.countyParam(ctx, q)
	return f, err
}

func platformsReader(s *Server, ctx context.Context, q url.Values) (featureReader, error) {
	var f db.PlatformFilter
	var err error
	if f.Kinds, err = kindsParam(q); err != nil {
		return nil, err
	}
	if v, ok := param(q, "status"); ok {
		st, err := db.ParsePlatformStatus("status", v)
		if err != nil {
			return nil, err
		}
		f.Status = &st
	}
	if f.CountyCode, err = s.countyParam(ctx, q); err != nil {
		return nil, err
	}
	return func(ctx context.Context, cut featureCut, page db.FeaturePage) (ogcPage, error) {
		f.BBox = cut.BBox
		if cut.ID != nil {
			id, err := platformKey(*cut.ID)
			if err != nil {
				return ogcPage{}, err
			}
			f.ID = &id
		}
		set, err := s.db.PlatformFeaturePage(ctx, f, page)
		return ogcPage{FeatureSet: set}, err
	}, nil
}

// platformKey returns the database ID of the platform whose global ID is
// fid, or NOT_FOUND.
func platformKey(fid string) (int64, error) {
	if typ, key, ok := relay.ParseID(fid); ok && typ == relay.PlatformType {
		if id, err := strconv.ParseInt(key, 10, 64); err == nil && id > 0 {
			return id, nil
		}
	}
	return 0, errcode.Errorf(errcode.NotFound, "no platform has id %q: a platform's id is its GraphQL global ID", fid)
}

// ogcCollections answers /collections: every collection's metadata.
func (s *Server) ogcCollections(w http.ResponseWriter, r *http.Request) {
	if err := checkFormat(r.URL.Query(), "json"); err != nil {
		s.writeError(w, r, "ogc collections", err)
		return
	}
	base := baseURL(r)
	s.serveOGC(w, r, mediaJSON, func(ctx context.Context) (string, any, error) {
		ts, err := s.db.TileSet(ctx)
		cs := make([]map[string]any, len(ogcCollectionList))
		for i := range ogcCollectionList {
			cs[i] = ogcCollectionList[i].metadata(base, ts)
		}
		return ts.Version, map[string]any{
			"links": []ogcLink{
				{base + "/collections", "self", mediaJSON, "this document"},
				{base + "/?f=json", "root", mediaJSON, "the landing page"},
			},
			"collections": cs,
		}, err
	})
}

// ogcCollection answers /collections/{id}: one collection's metadata.
func (s *Server) ogcCollection(w http.ResponseWriter, r *http.Request) {
	c, err := ogcCollectionByID(r.PathValue("id"))
	if err == nil {
		err = checkFormat(r.URL.Query(), "json")
	}
	if err != nil {
		s.writeError(w, r, "ogc collection", err)
		return
	}
	base := baseURL(r)
	s.serveOGC(w, r, mediaJSON, func(ctx context.Context) (string, any, error) {
		ts, err := s.db.TileSet(ctx)
		return ts.Version, c.metadata(base, ts), err
	})
}

// metadata is the collection's description in /collections: its links, its
// extent (the box around Sanming's counties) and its CRS.
func (c *ogcCollection) metadata(base string, ts db.TileSet) map[string]any {
	self := base + "/collections/" + c.id
	return map[string]any{
		"id":          c.id,
		"title":       c.title,
		"description": c.description,
		"attribution": ts.Attribution,
		"itemType":    "feature",
		"crs":         []string{crs84},
		"extent": map[string]any{
			"spatial": map[string]any{"bbox": [][]float64{{ts.West, ts.South, ts.East, ts.North}}, "crs": crs84},
		},
		"links": []ogcLink{
			{self, "self", mediaJSON, "this collection"},
			{self + "/items", "items", mediaGeoJSON, "its features"},
		},
	}
}
