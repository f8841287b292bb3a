package load

import (
	"context"
	"fmt"
	"hash/fnv"

	"github.com/jackc/pgx/v5"

	"civicmap/db/seed"
)

// Platform offsets: workstations and halls sit at a host somewhere in their
// township, not at the township government, and the seed does not know where.
// Each is put at its township's seat moved 150–450 m on a bearing, both taken
// from a hash of its external_id: stable across loads and machines, far enough
// apart that platforms of one township do not stack on the map, and close enough
// to stay in the township. The position is marked APPROXIMATE.
const (
	offsetMinMetres  = 150
	offsetSpanMetres = 301 // offsetMinMetres + [0, 300]
)

// upsertPlatformSQL writes one platform from the seed and places it. A liaison
// group sits at its township's seat and takes the seat's quality. Other kinds
// get the offset ($14 metres at bearing $15 degrees); when that would leave the
// county, the next bearing 45° round is tried, so every platform stays in its
// township's county. A township without a seat gives no location (UNKNOWN).
// version and updated_at move only when a value changed. A platform that was
// deleted, or changed by anyone but the loader ('load', db.ActorLoad) or the
// 0003 migration's backfill ('migrate') — through the API, `civicmap import` or
// by hand in SQL — is left alone: the seed provides the directory's first
// version, and `civicmap run` loads on every start, which must not undo the
// editors' work.
const upsertPlatformSQL = `
WITH input AS (
    SELECT $5::text AS township_code
), place AS (
    SELECT i.township_code, t.seat, t.position_quality, o.location, o.bearing
    FROM input i
    LEFT JOIN township t ON t.code = i.township_code
    LEFT JOIN LATERAL (
        SELECT p.location, p.bearing
        FROM generate_series(0, 7) AS k
        CROSS JOIN LATERAL (
            SELECT ($15::int + 45 * k) % 360 AS bearing,
                   ST_Project(t.seat::geography, $14::float8, radians(($15::int + 45 * k) % 360))::geometry AS location
        ) p
        JOIN county c ON c.code = t.county_code
        WHERE $2::text <> 'LIAISON_GROUP' AND ST_Covers(c.boundary, p.location)
        ORDER BY k
        LIMIT 1
    ) o ON true
)
INSERT INTO platform AS pl (external_id, kind, name, organiser_code, township_code, host_name, host_type,
                            sector_code, address, location, position_quality, established_on, status,
                            provenance, source_note)
SELECT $1, $2, $3, $4, place.township_code, $6, $7, $8, $9,
       CASE WHEN $2 = 'LIAISON_GROUP' THEN place.seat ELSE place.location END,
       CASE WHEN place.seat IS NULL THEN 'UNKNOWN'
            WHEN $2 = 'LIAISON_GROUP' THEN place.position_quality
            ELSE 'APPROXIMATE' END,
       $10, $11, $12,
       rtrim($13::text, '.') || '.' || CASE
           WHEN place.seat IS NULL THEN ' Position: unknown (the township has no seat point).'
           WHEN $2 = 'LIAISON_GROUP' THEN ' Position: the township government seat (' || place.position_quality || ').'
           ELSE ' Position: approximate, not the host''s address: the township seat moved ' || $14::int::text
                || ' m at bearing ' || place.bearing::text || '° (deterministic offset from the external_id).'
       END
FROM place
ON CONFLICT (external_id) DO UPDATE SET
    kind = excluded.kind,
    name = excluded.name,
    organiser_code = excluded.organiser_code,
    township_code = excluded.township_code,
    host_name = excluded.host_name,
    host_type = excluded.host_type,
    sector_code = excluded.sector_code,
    address = excluded.address,
    location = excluded.location,
    position_quality = excluded.position_quality,
    established_on = excluded.established_on,
    status = excluded.status,
    provenance = excluded.provenance,
    source_note = excluded.source_note,
    version = pl.version + 1,
    updated_at = now()
WHERE pl.deleted_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM platform_change c WHERE c.platform_id = pl.id
                                                AND c.actor NOT IN ('load', 'migrate'))
  AND (pl.kind, pl.name, pl.organiser_code, pl.township_code, pl.host_name, pl.host_type, pl.sector_code,
       pl.address, pl.location, pl.position_quality, pl.established_on, pl.status, pl.provenance, pl.source_note)
      IS DISTINCT FROM
      (excluded.kind, excluded.name, excluded.organiser_code, excluded.township_code, excluded.host_name,
       excluded.host_type, excluded.sector_code, excluded.address, excluded.location, excluded.position_quality,
       excluded.established_on, excluded.status, excluded.provenance, excluded.source_note)`

// offset returns the distance (metres) and bearing (degrees) for a platform.
func offset(externalID string) (metres, bearing int) {
	h := fnv.New64a()
	h.Write([]byte(externalID))
	sum := h.Sum64()
	return offsetMinMetres + int(sum%offsetSpanMetres), int((sum / offsetSpanMetres) % 360)
}

// upsertPlatforms writes the seed platforms in one round trip and returns how
// many rows changed.
func upsertPlatforms(ctx context.Context, tx pgx.Tx, platforms []seed.Platform) (int, error) {
	var b pgx.Batch
	for _, p := range platforms {
		metres, bearing := offset(p.ExternalID)
		b.Queue(upsertPlatformSQL, p.ExternalID, p.Kind, p.Name, p.OrganiserCode, p.TownshipCode, p.HostName,
			p.HostType, p.SectorCode, p.Address, p.EstablishedOn, p.Status, p.Provenance, p.SourceNote,
			metres, bearing)
	}
	br := tx.SendBatch(ctx, &b)
	defer br.Close()
	changed := 0
	for _, p := range platforms {
		tag, err := br.Exec()
		if err != nil {
			return changed, fmt.Errorf("platforms.csv %s: %w", p.ExternalID, err)
		}
		changed += int(tag.RowsAffected())
	}
	return changed, br.Close()
}
