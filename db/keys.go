package db

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"civicmap/errcode"
)

// Role is api_key.role: what a key may do.
type Role string

// Roles.
const (
	// RoleAdmin writes every platform.
	RoleAdmin Role = "admin"
	// RoleEditor writes the platforms of its scope: the city (everything) or one
	// county (the platforms that county's CPPCC organises or that lie in it).
	RoleEditor Role = "editor"
	// RoleReader writes nothing.
	RoleReader Role = "reader"
)

// APIKey is a key that can authenticate requests. The token itself is never
// stored, only its SHA-256.
type APIKey struct {
	ID        int64      `db:"id"`
	Name      string     `db:"name"`
	Role      Role       `db:"role"`
	Scope     *string    `db:"scope"`
	CreatedAt time.Time  `db:"created_at"`
	RevokedAt *time.Time `db:"revoked_at"`
}

// Actor returns the key as the writer the change feed records.
func (k *APIKey) Actor() Actor {
	return Actor{Name: "key " + strconv.FormatInt(k.ID, 10) + " (" + k.Name + ")", KeyID: &k.ID}
}

// tokenPrefix marks civicmap tokens, so that one found in a log or a
// repository is recognised for what it is.
const tokenPrefix = "cmk_"

// tokenBytes of randomness: 256 bits, so a token cannot be guessed and a plain
// SHA-256 (no salt, no slow hash) is enough to store it.
const tokenBytes = 32

const (
	apiKeyColumns = `id, name, role, scope, created_at, revoked_at`
	createKeySQL  = `INSERT INTO api_key (name, role, scope, token_hash) VALUES ($1, $2, $3, $4) RETURNING ` + apiKeyColumns
	keysSQL       = `SELECT ` + apiKeyColumns + ` FROM api_key ORDER BY id`
	keyByHashSQL  = `SELECT ` + apiKeyColumns + ` FROM api_key WHERE token_hash = $1`
	revokeKeySQL  = `UPDATE api_key SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING ` + apiKeyColumns
	keyExistsSQL  = `SELECT EXISTS (SELECT 1 FROM api_key WHERE id = $1)`
)

// CreateKey creates a key and returns it with its token, which is shown this
// once and never again. An editor needs a scope (an organiser code: 350400 or a
// county); an admin has none. It returns BAD_USER_INPUT for a bad role or scope.
func (db *DB) CreateKey(ctx context.Context, name string, role Role, scope *string) (*APIKey, string, error) {
	if err := checkKey(name, role, scope); err != nil {
		return nil, "", err
	}
	b := make([]byte, tokenBytes)
	rand.Read(b) // never fails (crypto/rand)
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	k, err := queryOne[APIKey](ctx, db.pool, createKeySQL, name, role, scope, hashToken(token))
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == foreignKeyViolation {
		return nil, "", errcode.Invalid("scope", "%s is not the code of the city (350400) or of a county of Sanming", *scope)
	}
	if err != nil {
		return nil, "", fmt.Errorf("create key: %w", err)
	}
	return k, token, nil
}

func checkKey(name string, role Role, scope *string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return errcode.Invalid("name", "a key needs a name that says who holds it")
	case role != RoleAdmin && role != RoleEditor && role != RoleReader:
		return errcode.Invalid("role", "want admin, editor or reader, got %q", role)
	case role == RoleAdmin && scope != nil:
		return errcode.Invalid("scope", "an admin key writes everything and takes no scope")
	case role == RoleEditor && scope == nil:
		return errcode.Invalid("scope", "an editor key needs a scope: 350400 (the city) or a county code such as 350481")
	}
	return nil
}

// Keys returns every key, revoked ones included, ordered by ID.
func (db *DB) Keys(ctx context.Context) ([]APIKey, error) {
	ks, err := queryRows[APIKey](ctx, db.pool, keysSQL)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	return ks, nil
}

// RevokeKey revokes a key for good. It returns NOT_FOUND when no key has the
// ID, and CONFLICT when it is revoked already.
func (db *DB) RevokeKey(ctx context.Context, id int64) (*APIKey, error) {
	k, err := queryOne[APIKey](ctx, db.pool, revokeKeySQL, id)
	if !errors.Is(err, pgx.ErrNoRows) {
		if err != nil {
			return nil, fmt.Errorf("revoke key %d: %w", id, err)
		}
		return k, nil
	}
	var exists bool
	if err := db.pool.QueryRow(ctx, keyExistsSQL, id).Scan(&exists); err != nil {
		return nil, fmt.Errorf("revoke key %d: %w", id, err)
	}
	if exists {
		return nil, errcode.Errorf(errcode.Conflict, "key %d is already revoked", id)
	}
	return nil, errcode.Errorf(errcode.NotFound, "no key has ID %d", id)
}

// KeyByToken returns the key a token belongs to. It returns UNAUTHENTICATED
// when the token is unknown or its key revoked.
func (db *DB) KeyByToken(ctx context.Context, token string) (*APIKey, error) {
	// The primary: a key revoked there stops working at once.
	k, err := queryOne[APIKey](onPrimary(ctx), db.pool, keyByHashSQL, hashToken(token))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, errcode.Errorf(errcode.Unauthenticated, "the API key is not valid: check the Authorization: Bearer header")
	case err != nil:
		return nil, fmt.Errorf("look up key: %w", err)
	case k.RevokedAt != nil:
		return nil, errcode.Errorf(errcode.Unauthenticated, "the API key was revoked on %s: ask for a new one", k.RevokedAt.UTC().Format(time.DateOnly))
	}
	return k, nil
}

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}
