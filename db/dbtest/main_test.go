package dbtest_test

import (
	"os"
	"testing"

	"civicmap/db/dbtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m, dbtest.Migrate)) }
