package dbtest_test

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"civicmap/db/dbtest"
	"civicmap/db/migrations"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m, prepare)) }

func prepare(ctx context.Context, pool *pgxpool.Pool) error {
	_, err := migrations.Apply(ctx, pool)
	return err
}
