// Package exchange is the file format of platform exports and imports: one
// record per platform, written as NDJSON, CSV or GeoJSON, each carrying the
// change feed's cursor of the snapshot it was taken from.
package exchange

import (
	"time"

	"civicmap/crs"
	"civicmap/db"
	"civicmap/graph/relay"
)

// Record is one platform as files carry it: the names of the GraphQL schema,
// so that a record reads like a Platform and imports like a PlatformInput.
type Record struct {
	ID            string          `json:"id"` // the global ID; ignored by imports
	ExternalID    string          `json:"externalId"`
	Kind          db.PlatformKind `json:"kind"`
	Name          string          `json:"name"`
	OrganiserCode string          `json:"organiserCode"`
	TownshipCode  string          `json:"townshipCode"`
	TownshipName  string          `json:"townshipName,omitempty"` // for people; ignored by imports
	CountyCode    string          `json:"countyCode"`             // ignored by imports: the township's
	CountyName    string          `json:"countyName,omitempty"`   // for people; ignored by imports
	HostName      string          `json:"hostName"`
	HostType      db.HostType     `json:"hostType"`
	SectorCode    *string         `json:"sectorCode"`
	Address       *string         `json:"address"`
	Lon           *float64        `json:"lon"`
	Lat           *float64        `json:"lat"`
	// CoordinateSystem is the system of lon and lat (and of a GeoJSON
	// feature's geometry): WGS84, GCJ02 or BD09; empty is WGS84. Imports
	// convert the position back to WGS84.
	CoordinateSystem string             `json:"coordinateSystem,omitempty"`
	PositionQuality  db.PositionQuality `json:"positionQuality"`
	EstablishedOn    *string            `json:"establishedOn"` // YYYY-MM-DD
	Status           db.PlatformStatus  `json:"status"`
	Provenance       db.Provenance      `json:"provenance"`
	SourceNote       string             `json:"sourceNote"`
	CreatedAt        time.Time          `json:"createdAt"`
	UpdatedAt        time.Time          `json:"updatedAt"`
	Version          int                `json:"version"`
}

// dateLayout is the Date scalar's.
const dateLayout = time.DateOnly

// FromExported returns the record of an exported platform, its position in c.
func FromExported(p *db.ExportedPlatform, c crs.CRS) Record {
	r := fromPlatform(&p.Platform)
	r.TownshipName, r.CountyName = p.TownshipName, p.CountyName
	r.Lon, r.Lat = c.FromWGS84Optional(p.Lon, p.Lat)
	r.CoordinateSystem = string(c)
	return r
}

// fromPlatform returns the record of p, its position in WGS84.
func fromPlatform(p *db.Platform) Record {
	r := Record{ID: relay.PlatformID(p.ID), ExternalID: p.ExternalID, Kind: p.Kind,
		Name: p.Name, OrganiserCode: p.OrganiserCode, TownshipCode: p.TownshipCode, CountyCode: p.CountyCode,
		HostName: p.HostName, HostType: p.HostType, SectorCode: p.SectorCode, Address: p.Address, Lon: p.Lon,
		Lat: p.Lat, PositionQuality: p.PositionQuality, Status: p.Status, Provenance: p.Provenance,
		SourceNote: p.SourceNote, CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC(), Version: p.Version}
	if p.EstablishedOn != nil {
		d := p.EstablishedOn.Format(dateLayout)
		r.EstablishedOn = &d
	}
	return r
}
