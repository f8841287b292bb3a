-- The directory: areas (counties, townships), sectors, organisers and platforms.
-- Geometry is WGS84 (SRID 4326), [lon, lat]. Distances are taken on geography, so
-- every point column that distances use also has a geography expression index.

CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE county (
    code             text PRIMARY KEY CHECK (code ~ '^[0-9]{6}$'),
    name             text NOT NULL,
    kind             text NOT NULL,              -- 市辖区, 县, 县级市
    seat             geometry(Point, 4326),      -- NULL where no source gives one (350404)
    boundary         geometry(MultiPolygon, 4326) NOT NULL,
    boundary_quality text NOT NULL CHECK (boundary_quality IN ('OFFICIAL', 'APPROXIMATE')),
    area_km2         double precision NOT NULL,
    source_note      text NOT NULL
);
CREATE INDEX county_boundary_gix ON county USING gist (boundary);

CREATE TABLE township (
    code             text PRIMARY KEY CHECK (code ~ '^[0-9]{9}$'),
    name             text NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('街道', '镇', '乡')),
    county_code      text NOT NULL REFERENCES county (code),
    seat             geometry(Point, 4326),
    position_quality text NOT NULL CHECK (position_quality IN ('REAL', 'APPROXIMATE', 'UNKNOWN')),
    -- A township cell: derived (Voronoi of seats, clipped to the county) until an
    -- official boundary replaces it. Townships with no seat have no cell.
    boundary         geometry(MultiPolygon, 4326),
    boundary_quality text CHECK (boundary_quality IN ('OFFICIAL', 'APPROXIMATE')),
    source_note      text NOT NULL,
    CHECK ((seat IS NULL) = (position_quality = 'UNKNOWN')),
    CHECK ((boundary IS NULL) = (boundary_quality IS NULL))
);
CREATE INDEX township_county_code_idx ON township (county_code, code);
CREATE INDEX township_seat_gix ON township USING gist (seat);
CREATE INDEX township_seat_geog_gix ON township USING gist ((seat::geography));
CREATE INDEX township_boundary_gix ON township USING gist (boundary);

-- The CPPCC sectors (界别).
CREATE TABLE sector (
    code    text PRIMARY KEY,
    name    text NOT NULL UNIQUE,
    name_en text NOT NULL,
    ord     integer NOT NULL UNIQUE
);

-- Who runs a platform: the city CPPCC (350400) or one county-level CPPCC.
CREATE TABLE organiser (
    code        text PRIMARY KEY CHECK (code ~ '^[0-9]{6}$'),
    name        text NOT NULL,
    level       text NOT NULL CHECK (level IN ('CITY', 'COUNTY')),
    county_code text REFERENCES county (code),
    CHECK ((level = 'COUNTY') = (county_code IS NOT NULL))
);

CREATE TABLE platform (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    external_id      text NOT NULL UNIQUE,
    kind             text NOT NULL CHECK (kind IN ('LIAISON_GROUP', 'WORKSTATION', 'SECTOR_HALL')),
    name             text NOT NULL CHECK (name <> ''),
    organiser_code   text NOT NULL REFERENCES organiser (code),
    township_code    text NOT NULL REFERENCES township (code),
    host_name        text NOT NULL,
    host_type        text NOT NULL CHECK (host_type IN
                         ('PUBLIC_UNIT', 'TOWNSHIP', 'SUBDISTRICT', 'VILLAGE_COMMUNITY', 'ENTERPRISE', 'SECTOR_BODY')),
    sector_code      text REFERENCES sector (code),
    address          text,
    location         geometry(Point, 4326),
    position_quality text NOT NULL CHECK (position_quality IN ('REAL', 'APPROXIMATE', 'UNKNOWN')),
    established_on   date,
    status           text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'SUSPENDED', 'CLOSED')),
    provenance       text NOT NULL CHECK (provenance IN ('REAL', 'ILLUSTRATIVE')),
    source_note      text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    version          integer NOT NULL DEFAULT 1 CHECK (version > 0),
    CHECK ((kind = 'SECTOR_HALL') = (sector_code IS NOT NULL)),
    CHECK ((location IS NULL) = (position_quality = 'UNKNOWN'))
);
-- A township has exactly one liaison group.
CREATE UNIQUE INDEX platform_liaison_group_township_key ON platform (township_code) WHERE kind = 'LIAISON_GROUP';
-- Keyset pagination walks (id); filters narrow by these first.
CREATE INDEX platform_township_code_idx ON platform (township_code, id);
CREATE INDEX platform_organiser_code_idx ON platform (organiser_code, id);
CREATE INDEX platform_kind_idx ON platform (kind, id);
CREATE INDEX platform_location_gix ON platform USING gist (location);
CREATE INDEX platform_location_geog_gix ON platform USING gist ((location::geography));
-- search: name substring (ILIKE '%…%') uses trigrams.
CREATE INDEX platform_name_trgm_idx ON platform USING gin (name gin_trgm_ops);

-- Where the loaded data came from, shown in the API and on the map.
CREATE TABLE dataset_source (
    ord      integer PRIMARY KEY,
    name     text NOT NULL,
    url      text NOT NULL,
    licence  text NOT NULL,
    used_for text NOT NULL
);

-- One row: the last load that changed anything.
CREATE TABLE dataset (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    attribution text NOT NULL,
    licence     text NOT NULL,
    loaded_at   timestamptz NOT NULL
);
