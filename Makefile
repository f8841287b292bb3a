# civicmap — `make help` lists the targets. Every target installs what it needs
# on a fresh Debian machine (as root; otherwise through sudo).

# ---- Pinned tool versions: change them here and nowhere else. ----------------
# Go: the same as the go line in go.mod.
GO_VERSION    := 1.26.8
# PostgreSQL server major version (Debian bookworm ships 15) and PostGIS major.
PG_MAJOR      := 15
POSTGIS_MAJOR := 3
# gqlgen, pgx and the other Go tools are pinned by go.mod and run with `go run`.
# Node packages for the audit are pinned by .ci/audit/package-lock.json (npm ci);
# Node.js itself comes with the machine image and must be this major or newer.
NODE_MAJOR    := 20
# MapLibre GL JS, GraphiQL (with React) and playwright-core for the map page,
# the GraphQL IDE and the map's browser test are pinned by web/package.json and web/package-lock.json (npm ci). The browser is
# Debian's chromium; the CJK font makes the page's Chinese readable in it.
BROWSER_PKGS  := chromium fonts-wqy-zenhei
# GDAL's command-line tools (ogrinfo, ogr2ogr) for the tests that open the OGC
# API and the layers as QGIS and GDAL users do: Debian's package.
GDAL_PKGS     := gdal-bin
# -----------------------------------------------------------------------------

SHELL         := bash
.SHELLFLAGS   := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS     += --no-print-directory

# Go's usual home, for shells that lack it in PATH.
export PATH := /usr/local/go/bin:$(PATH)

SUDO            := $(if $(filter 0,$(shell id -u)),,sudo)
APT_INSTALL     := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends
POSTGIS_PKG     := postgresql-$(PG_MAJOR)-postgis-$(POSTGIS_MAJOR)
POSTGIS_CONTROL := /usr/share/postgresql/$(PG_MAJOR)/extension/postgis.control
AUDIT_DIR       := .ci/audit
AUDIT_SCRIPT    := $(AUDIT_DIR)/audit.mjs
WEB_DIR         := web
WEB_LIB         := $(WEB_DIR)/static/lib
MAPLIBRE_DIST   := $(WEB_DIR)/node_modules/maplibre-gl/dist
# Go files outside dependency trees, for gofmt.
GO_FILES         = $(shell find . -name '*.go' -not -path './.git/*' -not -path '*/node_modules/*')

# The fuzz targets, package:name; `make fuzz` runs each for FUZZ_TIME, a
# duration or a count of inputs (2000x). Their seed corpora (f.Add and
# testdata/fuzz/) run with every `go test`. CI runs each for FUZZ_CI_TIME, a
# count: with a duration, Go 1.26's fuzzing coordinator can fail a run at the
# deadline with "context deadline exceeded" and no crasher (golang/go#75804,
# fixed in Go 1.27), as FuzzRead did once; a count has no deadline to race.
FUZZ_TIME    ?= 10s
FUZZ_CI_TIME := 2000x
FUZZ_TARGETS := ./graph/scalar:FuzzUnmarshalGeoJSON ./graph/scalar:FuzzDate ./graph/scalar:FuzzDateTime \
	./graph/relay:FuzzParseID ./exchange:FuzzRead ./server:FuzzTileCoords ./server:FuzzKindsParam \
	./server:FuzzItemsParams \
	./crs:FuzzFromWGS84GeoJSON \
	./server:FuzzSimplifyParam ./server:FuzzCountyParam ./server:FuzzGraphQLRequest

# Extra arguments for `make run`, e.g. make run RUN_ARGS='--addr :9000'.
# CIVICMAP_* variables (CIVICMAP_ADDR, CIVICMAP_DATA_DIR, …) pass through from
# the environment unchanged.
RUN_ARGS ?=

.PHONY: help run test fuzz fuzz-ci bench bench-load lint generate audit audit-deps web browser gdal tools versions go-toolchain postgis cc node fmt-check

help: ## list the targets
	@echo 'usage: make <target>'
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: postgis go-toolchain web ## start the server on a private PostgreSQL in .localdb/
	go build -o bin/civicmap ./cmd/civicmap
	./bin/civicmap run $(RUN_ARGS)

# The GraphQL-over-HTTP audit, the map page's browser test and the GDAL tests
# run inside go test (cmd/civicmap/audit_test.go, map_test.go,
# server/ogcgdal_test.go), so their node packages, the browser, GDAL and the
# embedded map library are installed first.
test: postgis go-toolchain cc audit-deps web browser gdal ## vet, gofmt check, go test -race with the audit (what .ci/run calls)
	go vet ./...
	$(MAKE) fmt-check
	go test -race -count=1 -timeout 30m ./...
	# The load and memory tests measure civicmap, not the race detector: they
	# skip under -race and run here, alone on the machine.
	go test -count=1 -run '^(TestIsolationUnderHeavyLoad|TestMemoryReturnsAfterABurst)$$' -v ./cmd/civicmap

fuzz: postgis go-toolchain ## run each fuzz target for FUZZ_TIME (10s); a crash is saved in testdata/fuzz
	@for t in $(FUZZ_TARGETS); do \
		echo "--- $${t##*:} ($${t%%:*})"; \
		go test -run '^$$' -fuzz "^$${t##*:}$$" -fuzztime $(FUZZ_TIME) "$${t%%:*}"; \
	done

fuzz-ci: ## run each fuzz target briefly, for FUZZ_CI_TIME inputs (what .ci/run calls)
	$(MAKE) fuzz FUZZ_TIME=$(FUZZ_CI_TIME)

bench: postgis go-toolchain ## run the benchmarks against loaded data
	go test -run '^$$' -bench . -benchmem ./...

# bench-load is the load harness (cmd/benchload): civicmap over loopback HTTP
# against pgbench on the statements it sends, on Sanming and the nationwide
# synthetic dataset, on a private cluster of its own. pgbench comes with the
# postgresql package that the postgis target installs.
# BENCH_LOAD_ARGS='-quick', '-query nearest5', '-datasets sanming', '-runs 3'.
BENCH_LOAD_ARGS ?=
bench-load: postgis go-toolchain ## the load harness: req/s, p50, p99 and share of pgbench's ceiling per query
	go build -o bin/civicmap ./cmd/civicmap
	go run ./cmd/benchload -civicmap bin/civicmap -out bin/bench-load.md $(BENCH_LOAD_ARGS)

lint: go-toolchain ## gofmt, go vet, and generate-then-diff of graph/
	$(MAKE) fmt-check
	go vet ./...
	go generate ./...
	git diff --exit-code -- graph/
	@untracked="$$(git ls-files --others --exclude-standard -- graph/)"; \
	if [ -n "$$untracked" ]; then echo "go generate made files that are not committed:"; echo "$$untracked"; exit 1; fi

generate: go-toolchain ## regenerate gqlgen output in graph/
	go generate ./...

# audit runs only the graphql-http audit ($(AUDIT_SCRIPT)) against a test
# server, with every audit's result; `make test` runs it too.
audit: postgis go-toolchain cc audit-deps ## run the GraphQL-over-HTTP audit (graphql-http) alone
	go test -race -count=1 -run '^TestGraphQLOverHTTPAudit$$' -v ./cmd/civicmap/

# audit-deps installs the audit's node packages exactly as package-lock.json pins them.
audit-deps: node
	npm ci --prefix $(AUDIT_DIR) --no-audit --no-fund

# web installs the pinned maplibre-gl and graphiql (and the e2e test's
# playwright-core) and copies their browser builds into $(WEB_LIB), where
# go:embed takes them into the binary.
# Nothing it copies is committed; a binary built without it serves a 503 map
# page that says to run this.
web: node ## install MapLibre GL JS and GraphiQL and copy them into the binary's static files
	npm ci --prefix $(WEB_DIR) --no-audit --no-fund
	cp $(MAPLIBRE_DIST)/maplibre-gl.mjs $(MAPLIBRE_DIST)/maplibre-gl-worker.mjs $(MAPLIBRE_DIST)/maplibre-gl.css $(WEB_LIB)/
	mkdir -p $(WEB_LIB)/graphiql
	cp $(WEB_DIR)/node_modules/graphiql/graphiql.min.js $(WEB_DIR)/node_modules/graphiql/graphiql.min.css \
		$(WEB_DIR)/node_modules/react/umd/react.production.min.js \
		$(WEB_DIR)/node_modules/react-dom/umd/react-dom.production.min.js $(WEB_LIB)/graphiql/

# browser installs Debian's chromium and a CJK font for the map's browser test,
# only when one is missing.
browser:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi 'wenquanyi zen hei'; then \
		echo "installing $(BROWSER_PKGS)"; \
		$(SUDO) apt-get update; \
		$(APT_INSTALL) $(BROWSER_PKGS); \
	fi

# gdal installs Debian's GDAL tools for the OGC API and /vsicurl/ tests, only
# when they are missing.
gdal:
	@if ! command -v ogrinfo >/dev/null || ! command -v ogr2ogr >/dev/null; then \
		echo "installing $(GDAL_PKGS)"; \
		$(SUDO) apt-get update; \
		$(APT_INSTALL) $(GDAL_PKGS); \
	fi

tools: go-toolchain postgis cc node browser gdal ## install everything that test and lint need

versions: ## print the toolchain versions
	@go version
	@echo "$$(/usr/lib/postgresql/$(PG_MAJOR)/bin/postgres --version 2>/dev/null || echo 'postgres: not installed')"
	@echo "postgis: $$(ls /usr/share/postgresql/$(PG_MAJOR)/extension/postgis--*.sql 2>/dev/null | sed -n 's/.*postgis--\([0-9.]*\)\.sql$$/\1/p' | sort -V | tail -1)"
	@echo "gcc: $$(gcc -dumpfullversion 2>/dev/null || echo 'not installed')"
	@echo "node: $$(node --version 2>/dev/null || echo 'not installed'), npm: $$(npm --version 2>/dev/null || echo 'not installed')"
	@echo "chromium: $$(chromium --version 2>/dev/null || echo 'not installed')"
	@echo "gdal: $$(ogrinfo --version 2>/dev/null || echo 'not installed')"
	@git --version

fmt-check:
	@unformatted="$$(gofmt -l $(GO_FILES))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi

# go-toolchain checks that Go is there: the project's machines come with it, and
# go.mod's go line makes a newer Go behave as $(GO_VERSION).
go-toolchain:
	@command -v go >/dev/null || { echo "Go is not installed: install Go $(GO_VERSION) (go.mod) and retry"; exit 1; }

# postgis installs PostgreSQL and PostGIS only when the extension is missing.
postgis:
	@if [ ! -f $(POSTGIS_CONTROL) ]; then \
		echo "installing $(POSTGIS_PKG)"; \
		$(SUDO) apt-get update; \
		$(APT_INSTALL) postgresql-$(PG_MAJOR) $(POSTGIS_PKG); \
	fi

# cc installs a C compiler: go test -race needs cgo.
cc:
	@command -v gcc >/dev/null || { $(SUDO) apt-get update && $(APT_INSTALL) gcc libc6-dev; }

# node checks for Node.js $(NODE_MAJOR)+ and npm, which the machine image
# provides; Debian's own nodejs package is older, so it installs nothing and
# says what is missing instead.
node:
	@ver="$$(node --version 2>/dev/null)" || { echo "node: Node.js $(NODE_MAJOR) or newer is required (node --version failed); install it from the machine image or nodejs.org"; exit 1; }; \
	major="$${ver#v}"; major="$${major%%.*}"; \
	if [ "$$major" -lt $(NODE_MAJOR) ]; then echo "node: Node.js $(NODE_MAJOR) or newer is required, found $$ver"; exit 1; fi; \
	npm --version >/dev/null 2>&1 || { echo "node: npm is required (npm --version failed); it ships with Node.js $(NODE_MAJOR)"; exit 1; }
