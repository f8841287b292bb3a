package db

import (
	"github.com/twpayne/go-geom"

	"civicmap/crs"
)

// The positions of rows in a chosen coordinate system, for the crs arguments
// of GraphQL's position fields. Rows hold WGS84; the conversion happens here,
// at the edge, and is never stored. The parameters are named crs, as the
// GraphQL argument they are bound to.

// LonIn is the platform's longitude in crs; nil when the position is UNKNOWN.
func (p *Platform) LonIn(crs crs.CRS) *float64 { x, _ := crs.FromWGS84Optional(p.Lon, p.Lat); return x }

// LatIn is the platform's latitude in crs; nil when the position is UNKNOWN.
func (p *Platform) LatIn(crs crs.CRS) *float64 { _, y := crs.FromWGS84Optional(p.Lon, p.Lat); return y }

// LocationIn is the platform's position in crs; nil when it is UNKNOWN.
func (p *Platform) LocationIn(crs crs.CRS) geom.T { return point(crs.FromWGS84Optional(p.Lon, p.Lat)) }

// LonIn is the seat's longitude in crs; nil when the seat is unknown.
func (c *County) LonIn(crs crs.CRS) *float64 { x, _ := crs.FromWGS84Optional(c.Lon, c.Lat); return x }

// LatIn is the seat's latitude in crs; nil when the seat is unknown.
func (c *County) LatIn(crs crs.CRS) *float64 { _, y := crs.FromWGS84Optional(c.Lon, c.Lat); return y }

// SeatIn is the seat in crs; nil when it is unknown.
func (c *County) SeatIn(crs crs.CRS) geom.T { return point(crs.FromWGS84Optional(c.Lon, c.Lat)) }

// LonIn is the seat's longitude in crs; nil when the position is UNKNOWN.
func (t *Township) LonIn(crs crs.CRS) *float64 { x, _ := crs.FromWGS84Optional(t.Lon, t.Lat); return x }

// LatIn is the seat's latitude in crs; nil when the position is UNKNOWN.
func (t *Township) LatIn(crs crs.CRS) *float64 { _, y := crs.FromWGS84Optional(t.Lon, t.Lat); return y }

// SeatIn is the seat in crs; nil when the position is UNKNOWN.
func (t *Township) SeatIn(crs crs.CRS) geom.T { return point(crs.FromWGS84Optional(t.Lon, t.Lat)) }
