package db

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

const (
	// snapshotSeqSQL is the number of the last change the snapshot holds. It
	// must be the transaction's first statement, which takes the snapshot.
	snapshotSeqSQL = `SELECT coalesce(max(seq), 0) FROM platform_change`
	// exportPlatformsSQL is every live platform with its township's and
	// county's names, ordered by ID.
	exportPlatformsSQL = `SELECT ` + platformColumns + `, t.name AS township_name, c.name AS county_name` +
		platformFrom + ` JOIN county c ON c.code = t.county_code ORDER BY p.id`
)

// ExportedPlatform is a platform as exports carry it: with the names of its
// township and county beside their codes, for people reading the file.
type ExportedPlatform struct {
	Platform
	TownshipName string `db:"township_name"`
	CountyName   string `db:"county_name"`
}

// ExportPlatforms reads every live platform from one REPEATABLE READ snapshot.
// It calls start with the number of the last change in that snapshot (the
// feed's seq), then each with every platform in ID order; the feed after that
// number holds exactly the changes the export does not. That holds because a
// change's number is taken at commit under a lock held until the commit is
// visible: a snapshot that sees change n sees every change before it.
func (db *DB) ExportPlatforms(ctx context.Context, start func(seq int64) error, each func(*ExportedPlatform) error) error {
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var seq int64
		if err := tx.QueryRow(ctx, snapshotSeqSQL).Scan(&seq); err != nil {
			return err
		}
		if err := start(seq); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, exportPlatformsSQL)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			p, err := pgx.RowToStructByName[ExportedPlatform](rows)
			if err != nil {
				return err
			}
			if err := each(&p); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("export platforms: %w", err)
	}
	return nil
}
