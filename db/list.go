package db

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// List is one page of a list, with the size of the whole list.
type List[T any] struct {
	Rows    []T
	HasNext bool
	Total   int
}

// statement is one SQL statement with its arguments.
type statement struct {
	sql  string
	args []any
}

// queryList runs a count and a page query in one round trip and scans the page
// into T by column name; without the count when page.SkipTotal is set.
func queryList[T any](ctx context.Context, q querier, page Page, countSQL, pageSQL string, countArgs, pageArgs []any) (List[T], error) {
	return queryListScan(ctx, q, page, func(rows pgx.Rows) ([]T, error) { return pgx.CollectRows(rows, pgx.RowToStructByName[T]) },
		countSQL, pageSQL, countArgs, pageArgs)
}

// queryListScan is queryList with the rows collected by collect.
func queryListScan[T any](ctx context.Context, q querier, page Page, collect func(pgx.Rows) ([]T, error), countSQL, pageSQL string, countArgs, pageArgs []any) (List[T], error) {
	var list List[T]
	if page.SkipTotal {
		rows, err := q.Query(ctx, pageSQL, pageArgs...)
		if err != nil {
			return list, err
		}
		all, err := collect(rows)
		list.Rows, list.HasNext = cut(all, page)
		return list, err
	}
	var b pgx.Batch
	b.Queue(countSQL, countArgs...).QueryRow(func(row pgx.Row) error {
		return row.Scan(&list.Total)
	})
	b.Queue(pageSQL, pageArgs...).Query(func(rows pgx.Rows) error {
		all, err := collect(rows)
		list.Rows, list.HasNext = cut(all, page)
		return err
	})
	if err := q.SendBatch(ctx, &b).Close(); err != nil {
		return List[T]{}, err
	}
	return list, nil
}

// queryRows runs one query and scans every row into T by column name.
func queryRows[T any](ctx context.Context, q querier, sql string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[T])
	if err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	return out, nil
}

// queueRows queues a query on b whose rows, once the batch is sent, are scanned
// into *out by column name.
func queueRows[T any](b *pgx.Batch, out *[]T, sql string, args ...any) {
	b.Queue(sql, args...).Query(func(rows pgx.Rows) error {
		var err error
		*out, err = pgx.CollectRows(rows, pgx.RowToStructByName[T])
		return err
	})
}

// collectFirst scans the first row into T by column name; nil when there is none.
func collectFirst[T any](rows pgx.Rows) (*T, error) {
	all, err := pgx.CollectRows(rows, pgx.RowToStructByName[T])
	if err != nil || len(all) == 0 {
		return nil, err
	}
	return &all[0], nil
}

// queryOne runs a query of one row and scans it into T by column name; no row
// is pgx.ErrNoRows.
func queryOne[T any](ctx context.Context, q querier, sql string, args ...any) (*T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectExactlyOneRow(rows, pgx.RowToAddrOfStructByName[T])
}

// querier is what both a pool and a transaction offer.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}
