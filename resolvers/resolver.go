// Package resolvers answers GraphQL: it checks arguments, calls db, builds
// connections and holds the dataloaders that keep nested fields from N+1 queries.
package resolvers

//go:generate go -C .. tool gqlgen generate

import "civicmap/db"

// Resolver holds the resolvers' dependencies.
type Resolver struct {
	DB *db.DB
	// Feed serves the subscriptions.
	Feed *Feed
}
