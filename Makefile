# Every target works from a fresh clone: the go command downloads modules itself.
GO    ?= go
GOFMT ?= $(shell $(GO) env GOROOT)/bin/gofmt

# Test packages run two at a time (the machines have two cores); each creates its own
# PostgreSQL database through app/store/storetest, so they do not interfere.
TEST_FLAGS ?= -count=1 -p 2 -timeout 20m

.PHONY: run build test bench lint tidy

## run: start the server (it prints its own URL)
# When app/web gets its Vite build, add a `web` target and make it a prerequisite here.
run:
	$(GO) run ./app/cmd/crm serve

## build: the one binary, into bin/crm
build:
	$(GO) build -o bin/crm ./app/cmd/crm

## test: every package, on SQLite and on PostgreSQL (PostgreSQL is started if it is down)
test:
	bash deploy/ensure-postgres.sh
	$(GO) test ./... $(TEST_FLAGS)

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
