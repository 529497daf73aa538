# Every target works from a fresh clone: the go command downloads modules itself.
GO    ?= go
GOFMT ?= $(shell $(GO) env GOROOT)/bin/gofmt

# Test packages run two at a time (the machines have two cores); each creates its own
# PostgreSQL database through app/storetest, so they do not interfere.
TEST_FLAGS ?= -count=1 -p 2 -timeout 20m

.PHONY: run build test test-web web bench lint tidy

# The web app (app/web, TypeScript + React + Ant Design, built by Vite) is embedded in the binary
# from app/web/dist. Node.js 20+ and npm build it; the Go build and the Go tests never need them
# (without a build the binary serves a page that says how to build the app).
WEB      := app/web
WEB_SRC  := $(shell find $(WEB)/src -type f -not -name '*.test.ts' 2>/dev/null) $(WEB)/index.html \
	$(WEB)/vite.config.ts $(WEB)/tsconfig.json $(WEB)/package.json
WEB_DEPS := $(WEB)/node_modules/.package-lock.json
# web_if_npm builds the web app when npm is installed, and says so when it is not.
web_if_npm = @if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory web; \
	else echo "npm not found: building without the web app (install Node.js 20+ and npm to get it)" >&2; fi

## run: start the server (it prints its own URL), building the web app first when it is stale
run:
	$(web_if_npm)
	$(GO) run ./app/cmd/crm serve

## build: the one binary, into bin/crm (with the web app when npm is there)
build:
	$(web_if_npm)
	$(GO) build -o bin/crm ./app/cmd/crm

## web: build the web app into app/web/dist when it is missing or older than its sources
web: $(WEB)/dist/index.html

$(WEB)/dist/index.html: $(WEB_SRC) $(WEB_DEPS)
	cd $(WEB) && npm run build

# npm ci when node_modules is missing or older than the lock file
$(WEB_DEPS): $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund

## test: every package, on SQLite and on PostgreSQL (PostgreSQL and Redis are started if down)
test:
	bash deploy/ensure-postgres.sh
	bash deploy/ensure-redis.sh
	$(GO) test ./... $(TEST_FLAGS)
	$(MAKE) --no-print-directory test-web

## test-web: the web app's component tests (Vitest) and browser tests (playwright-core driving
## Debian's chromium against the built binary on a fresh SQLite database); installs what it needs
test-web: web build
	@test -x /usr/bin/chromium && dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || \
		{ apt-get update -q && apt-get install -y -q chromium fonts-wqy-microhei; }
	cd $(WEB) && npx vitest run
	cd $(WEB) && CRM_BIN=$(CURDIR)/bin/crm node --test --test-concurrency=1 e2e/

## bench: load scenarios (bench/run.sh)
bench:
	@test -f bench/run.sh || { echo "bench/run.sh does not exist yet" >&2; exit 1; }
	bash bench/run.sh

## lint: gofmt must have nothing to say, and go vet must pass
lint:
	@files="$$(find . -name '*.go' -not -path './.git/*' -not -path '*/node_modules/*' \
		-not -path '*/testdata/*' -print0 | xargs -0 -r $(GOFMT) -l)"; \
	if [ -n "$$files" ]; then echo "gofmt -w these files:" >&2; echo "$$files" >&2; exit 1; fi
	$(GO) vet ./...

## tidy: bring go.mod and go.sum in line with the imports
tidy:
	$(GO) mod tidy
