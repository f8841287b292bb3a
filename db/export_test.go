package db

import "github.com/jackc/pgx/v5"

// CollectByName is collectByName, for the tests of package db_test.
func CollectByName[T any](rows pgx.Rows) ([]T, error) { return collectByName[T](rows, 0) }
