package db

// The enumerations stored as text in the database. gqlgen.yml binds the GraphQL
// enums to these types value by value, so the database's spelling (e.g. 街道 for a
// subdistrict) never leaks into the API.

// PlatformKind is platform.kind.
type PlatformKind string

// Platform kinds.
const (
	LiaisonGroup PlatformKind = "LIAISON_GROUP"
	Workstation  PlatformKind = "WORKSTATION"
	SectorHall   PlatformKind = "SECTOR_HALL"
)

// HostType is platform.host_type.
type HostType string

// Host types.
const (
	HostPublicUnit       HostType = "PUBLIC_UNIT"
	HostTownship         HostType = "TOWNSHIP"
	HostSubdistrict      HostType = "SUBDISTRICT"
	HostVillageCommunity HostType = "VILLAGE_COMMUNITY"
	HostEnterprise       HostType = "ENTERPRISE"
	HostSectorBody       HostType = "SECTOR_BODY"
)

// PlatformStatus is platform.status.
type PlatformStatus string

// Platform statuses.
const (
	StatusActive    PlatformStatus = "ACTIVE"
	StatusSuspended PlatformStatus = "SUSPENDED"
	StatusClosed    PlatformStatus = "CLOSED"
)

// Provenance is platform.provenance.
type Provenance string

// Provenances.
const (
	ProvenanceReal         Provenance = "REAL"
	ProvenanceIllustrative Provenance = "ILLUSTRATIVE"
)

// PositionQuality is the position_quality of townships and platforms.
type PositionQuality string

// Position qualities.
const (
	PositionReal        PositionQuality = "REAL"
	PositionApproximate PositionQuality = "APPROXIMATE"
	PositionUnknown     PositionQuality = "UNKNOWN"
)

// BoundaryQuality is the boundary_quality of counties and townships.
type BoundaryQuality string

// Boundary qualities.
const (
	BoundaryOfficial    BoundaryQuality = "OFFICIAL"
	BoundaryApproximate BoundaryQuality = "APPROXIMATE"
)

// TownshipKind is township.kind, stored in Chinese as the NBS list spells it.
type TownshipKind string

// Township kinds.
const (
	TownshipKindSubdistrict TownshipKind = "街道"
	TownshipKindTown        TownshipKind = "镇"
	TownshipKindTownship    TownshipKind = "乡"
)

// CountyKind is county.kind, stored in Chinese as the source spells it.
type CountyKind string

// County kinds.
const (
	CountyKindDistrict        CountyKind = "市辖区"
	CountyKindCounty          CountyKind = "县"
	CountyKindCountyLevelCity CountyKind = "县级市"
)

// OrganiserLevel is organiser.level.
type OrganiserLevel string

// Organiser levels.
const (
	LevelCity   OrganiserLevel = "CITY"
	LevelCounty OrganiserLevel = "COUNTY"
)
