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
	// exportPlatformsSQL is every live platform, ordered by ID.
	exportPlatformsSQL = `SELECT ` + platformColumns + platformFrom + ` ORDER BY p.id`
)

// ExportPlatforms reads every live platform from one REPEATABLE READ snapshot.
// It calls start with the number of the last change in that snapshot (the
// feed's seq), then each with every platform in ID order; the feed after that
// number holds exactly the changes the export does not. That holds because a
// change's number is taken at commit under a lock held until the commit is
// visible: a snapshot that sees change n sees every change before it.
func (db *DB) ExportPlatforms(ctx context.Context, start func(seq int64) error, each func(*Platform) error) error {
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
			p, err := pgx.RowToStructByName[Platform](rows)
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
