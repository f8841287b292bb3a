// Package sanmingtest prepares test template databases with the real Sanming
// data: migrated and loaded, as `civicmap run` leaves a database.
package sanmingtest

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"civicmap/db/dbtest"
	"civicmap/db/load"
)

// Prepare migrates the database and loads the Sanming data into it; it is a
// dbtest.PrepareFunc.
func Prepare(ctx context.Context, pool *pgxpool.Pool) error {
	if err := dbtest.Migrate(ctx, pool); err != nil {
		return err
	}
	dir, err := dbtest.DataDir()
	if err != nil {
		return err
	}
	if _, err := load.Run(ctx, pool, load.Options{DataDir: dir}); err != nil {
		return fmt.Errorf("load %s: %w", dir, err)
	}
	return nil
}
