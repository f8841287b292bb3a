package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"civicmap/db"
)

// keyFlags are the flags of `civicmap keys create`.
type keyFlags struct {
	role, scope, name string
}

func (k *keyFlags) flags(fs *flag.FlagSet) {
	fs.StringVar(&k.role, "role", "", "admin, editor or reader")
	fs.StringVar(&k.scope, "scope", "", "what an editor may write: 350400 (the city) or a county code")
	fs.StringVar(&k.name, "name", "", `who holds the key (default "<role> <scope>")`)
}

// CreateKey creates an API key and prints it with its token.
func (a *App) CreateKey(ctx context.Context, f keyFlags) error {
	return a.withDB(ctx, func(d *db.DB) error {
		var scope *string
		if f.scope != "" {
			scope = &f.scope
		}
		name := f.name
		if name == "" {
			name = f.role + " " + f.scope
		}
		k, token, err := d.CreateKey(ctx, name, db.Role(f.role), scope)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.Out, "created key %d: %s\n", k.ID, describeKey(k))
		fmt.Fprintf(a.Out, "token: %s\n", token)
		fmt.Fprintln(a.Out, "The token is shown only now and civicmap keeps only its hash: store it safely.")
		fmt.Fprintln(a.Out, "Send it as the header  Authorization: Bearer <token>")
		return nil
	})
}

// ListKeys prints every key.
func (a *App) ListKeys(ctx context.Context) error {
	return a.withDB(ctx, func(d *db.DB) error {
		ks, err := d.Keys(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(a.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tROLE\tSCOPE\tCREATED\tREVOKED")
		for _, k := range ks {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Role, orDash(k.Scope),
				k.CreatedAt.UTC().Format(time.RFC3339), orDash(timeText(k.RevokedAt)))
		}
		return tw.Flush()
	})
}

// RevokeKey revokes the key id.
func (a *App) RevokeKey(ctx context.Context, id int64) error {
	return a.withDB(ctx, func(d *db.DB) error {
		k, err := d.RevokeKey(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.Out, "revoked key %d: %s\n", k.ID, describeKey(k))
		return nil
	})
}

// withDB opens and migrates the database, runs fn on it and closes it.
func (a *App) withDB(ctx context.Context, fn func(*db.DB) error) error {
	defer a.Close()
	if err := a.openDB(ctx); err != nil {
		return err
	}
	if err := a.migrate(ctx); err != nil {
		return err
	}
	return fn(db.New(a.pool))
}

func describeKey(k *db.APIKey) string {
	return fmt.Sprintf("%s, scope %s, name %q", k.Role, orDash(k.Scope), k.Name)
}

func orDash(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}

func timeText(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}
