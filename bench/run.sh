#!/usr/bin/env bash
# `make bench`: load scenarios against the real server, on SQLite and on PostgreSQL.
#
# Builds bin/crm and the benchmark's two programs (bench/cmd/load, the vegeta-based load tool,
# and bench/cmd/bare, a one-route Fiber app that is the ceiling), starts the bare server once,
# then for each database starts `bin/crm serve` on a free loopback port, waits for /readyz,
# runs the scenarios and stops the server: the platform scenarios (bare, me, user), then the
# customer archive's — the load tool imports BENCH_CUSTOMERS customers through
# POST /api/v1/customers/import (timed), then measures get-by-ID, a filtered list and the name
# searches, each saturated and at a fixed rate — and the bare route again. Results are printed
# as tables and written to bench/results/<timestamp>.json; the query plans of the customer
# scenarios, read from the benchmark database, to bench/results/<timestamp>-explain-<db>.txt.
# See docs/BENCHMARKS.md.
#
# PostgreSQL: a fresh database crm_bench_<pid> owned by the non-superuser role crm_owner
# (created by the administrator connection, as app/storetest does); the server migrates
# as crm_owner and serves as crm_app, a role that owns nothing and is subject to row-level
# security. The database is dropped on exit, whatever the exit.
#
# Environment:
#   BENCH_DURATION      measured time per platform scenario (Go duration)   default 10s
#   BENCH_CONNECTIONS   concurrent connections = vegeta workers             default 32
#   BENCH_WARMUP        unmeasured warm-up before each scenario             default 2s
#   BENCH_MAX_REQUESTS  cap on requests per scenario                        default 2000000
#   BENCH_DATABASES     which databases, space-separated                    default "sqlite postgres"
#   BENCH_PG_HOST, BENCH_PG_PORT  the PostgreSQL server                     default 127.0.0.1 5432
#   BENCH_PG_ADMIN      administrator role (trust auth or ~/.pgpass)        default postgres
#   BENCH_STRICT        1: exit 3 when a scenario had non-2xx answers       default 1
#   BENCH_CUSTOMERS     customers imported for the customer scenarios       default 100000
#   BENCH_CUSTOMER_DURATION  measured time per customer scenario, saturated  default 6s
#   BENCH_RATE, BENCH_RATE_DURATION  then at this fixed rate (req/s), this long  default 50, 10s
#   BENCH_FOLLOWUP_RATE the follow-up scenario's fixed rate (writes/s)       default 1000
#   BENCH_SCENARIOS     which scenarios, in order (load run -scenarios)      default all
#   BENCH_EXPLAIN       1: save the customer queries' plans (EXPLAIN)        default 1
#   BENCH_PLUGINS       0: skip the plugin benchmarks                       default 1
#   BENCH_PLUGIN_CUSTOMERS  customers re-classified through the plugin       default 100000
#   BENCH_GIT_COMMIT    the commit to record (default: git rev-parse, "-dirty" if modified)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

GO="${GO:-go}"
duration="${BENCH_DURATION:-10s}"
connections="${BENCH_CONNECTIONS:-32}"
warmup="${BENCH_WARMUP:-2s}"
max_requests="${BENCH_MAX_REQUESTS:-2000000}"
databases="${BENCH_DATABASES:-sqlite postgres}"
pg_host="${BENCH_PG_HOST:-127.0.0.1}"
pg_port="${BENCH_PG_PORT:-5432}"
pg_admin="${BENCH_PG_ADMIN:-postgres}"
strict="${BENCH_STRICT:-1}"
customers="${BENCH_CUSTOMERS:-100000}"
customer_duration="${BENCH_CUSTOMER_DURATION:-6s}"
rate="${BENCH_RATE:-50}"
rate_duration="${BENCH_RATE_DURATION:-10s}"
followup_rate="${BENCH_FOLLOWUP_RATE:-1000}"
scenarios="${BENCH_SCENARIOS:-}"
explain="${BENCH_EXPLAIN:-1}"

say() { echo "bench: $*" >&2; }
die() { say "$*"; exit 1; }

[[ "$connections" =~ ^[1-9][0-9]*$ ]] || die "BENCH_CONNECTIONS must be a positive integer, got '$connections'"
[[ "$max_requests" =~ ^[1-9][0-9]*$ ]] || die "BENCH_MAX_REQUESTS must be a positive integer, got '$max_requests'"
[[ "$customers" =~ ^[1-9][0-9]*$ ]] || die "BENCH_CUSTOMERS must be a positive integer, got '$customers'"
[[ "$rate" =~ ^[0-9]+$ ]] || die "BENCH_RATE must be a non-negative integer, got '$rate'"
[[ "$followup_rate" =~ ^[0-9]+$ ]] || die "BENCH_FOLLOWUP_RATE must be a non-negative integer, got '$followup_rate'"
for d in $databases; do
	[[ "$d" == sqlite || "$d" == postgres ]] || die "BENCH_DATABASES: unknown database '$d' (sqlite, postgres)"
done

work="$(mktemp -d "${TMPDIR:-/tmp}/crm-bench.XXXXXX")"
pids=()   # processes this script started
pg_db=""  # PostgreSQL database this script created

# stop_pid ends one process this script started: TERM, then KILL after 20 seconds.
stop_pid() {
	local pid="$1" i
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 200; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		say "process $pid did not stop in 20s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

# forget_pid drops a reaped process from pids, so cleanup never signals a reused PID.
forget_pid() {
	local keep=() p
	for p in "${pids[@]}"; do
		[[ "$p" == "$1" ]] || keep+=("$p")
	done
	pids=("${keep[@]}")
}

# in_background runs a long command as a child this shell waits for: a signal then reaches
# the trap at once (bash defers traps while a foreground command runs), and cleanup stops it.
in_background() {
	local pid rc=0
	"$@" &
	pid=$!
	pids+=("$pid")
	wait "$pid" || rc=$?
	forget_pid "$pid"
	return "$rc"
}

psql_admin() {
	psql -X -q -v ON_ERROR_STOP=1 -h "$pg_host" -p "$pg_port" -U "$pg_admin" "$@"
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	local i
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do # newest first: the load tool, then servers
		stop_pid "${pids[i]}"
	done
	if [[ -n "$pg_db" ]]; then
		psql_admin -d postgres -c "DROP DATABASE IF EXISTS \"$pg_db\" WITH (FORCE)" ||
			say "could not drop database $pg_db; drop it by hand"
	fi
	rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "building bin/crm and the load tools"
"$GO" build -o bin/crm ./app/cmd/crm
(cd bench && "$GO" build -o "$work/load" ./cmd/load && "$GO" build -o "$work/bare" ./cmd/bare)
load="$work/load"

# The commit measured, "-dirty" when tracked files differ from it. BENCH_GIT_COMMIT overrides
# it for a tree without .git (a `git archive` export of a commit).
if [[ -n "${BENCH_GIT_COMMIT:-}" ]]; then
	commit="$BENCH_GIT_COMMIT"
else
	commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	if [[ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
		commit="$commit-dirty"
	fi
fi
mkdir -p bench/results
out="bench/results/$(date -u +%Y%m%dT%H%M%SZ).json"
common=(-duration "$duration" -warmup "$warmup" -connections "$connections" -max-requests "$max_requests"
	-out "$out" -git-commit "$commit" -customers "$customers" -customer-duration "$customer_duration"
	-rate "$rate" -rate-duration "$rate_duration" -followup-rate "$followup_rate")
[[ -n "$scenarios" ]] && common+=(-scenarios "$scenarios")

# The ceiling: one process, for both databases' runs, measured in each run.
bare_port="$("$load" freeport)"
"$work/bare" -addr "127.0.0.1:$bare_port" >"$work/bare.log" 2>&1 &
bare_pid=$!
pids+=("$bare_pid")
in_background "$load" wait -url "http://127.0.0.1:$bare_port/bare" -timeout 30s -pid "$bare_pid" ||
	{ cat "$work/bare.log" >&2; die "the bare server did not start"; }

# start_crm LABEL DATABASE_URL MIGRATE_URL: starts bin/crm serve, sets crm_pid and crm_url.
start_crm() {
	local label="$1" db_url="$2" migrate_url="$3" port
	port="$("$load" freeport)"
	env -u CRM_SMTP_URL -u CRM_STRIPE_SECRET_KEY -u CRM_STRIPE_WEBHOOK_SECRET -u CRM_STRIPE_API_BASE \
		-u CRM_ENCRYPTION_KEYS -u CRM_LOG_FORMAT \
		CRM_ADDR="127.0.0.1:$port" CRM_BASE_URL="http://127.0.0.1:$port" \
		CRM_DATABASE_URL="$db_url" CRM_MIGRATE_DATABASE_URL="$migrate_url" \
		CRM_SECRET_KEY="$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" \
		CRM_PLUGIN_DIR="$work/plugins" CRM_LOG_LEVEL=warn \
		CRM_RATE_LIMIT_TOKEN=100000000 CRM_RATE_LIMIT_TENANT=100000000 \
		bin/crm serve >"$work/crm-$label.log" 2>&1 &
	crm_pid=$!
	pids+=("$crm_pid")
	crm_url="http://127.0.0.1:$port"
	if ! in_background "$load" wait -url "$crm_url/readyz" -timeout 120s -pid "$crm_pid"; then
		tail -n 40 "$work/crm-$label.log" >&2
		die "bin/crm serve on $label did not become ready"
	fi
}

stop_crm() {
	stop_pid "$crm_pid"
	forget_pid "$crm_pid"
	if [[ -s "$work/crm-$1.log" ]]; then
		say "bin/crm serve output on $1 (CRM_LOG_LEVEL=warn), last lines:"
		tail -n 20 "$work/crm-$1.log" >&2
	fi
}

# load_failed LABEL: the load tool failed; show how the server ended (it may have crashed) and stop.
load_failed() {
	local state=running
	kill -0 "$crm_pid" 2>/dev/null || state="NOT running (it exited)"
	say "the load tool failed on $1; bin/crm serve is $state; its output, last lines:"
	grep -v '"slow SQL"' "$work/crm-$1.log" | tail -n 80 >&2 || true
	die "benchmark on $1 failed"
}

# drop_stale_databases removes crm_bench_<pid> databases whose script is gone (a run killed
# with SIGKILL never reaches its trap).
drop_stale_databases() {
	local name pid
	while read -r name; do
		pid="${name#crm_bench_}"
		[[ "$pid" =~ ^[0-9]+$ ]] || continue
		if [[ "$pid" != "$$" ]] && ! kill -0 "$pid" 2>/dev/null; then
			say "dropping stale database $name"
			psql_admin -d postgres -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" || true
		fi
	done < <(psql_admin -d postgres -Atc "SELECT datname FROM pg_database WHERE datname ~ '^crm_bench_[0-9]+\$'")
}

for d in $databases; do
	case "$d" in
	sqlite)
		mkdir -p "$work/sqlite"
		url="sqlite://$work/sqlite/crm.db"
		start_crm sqlite "$url" "$url"
		in_background "$load" run -db sqlite -crm "$crm_url" -bare "http://127.0.0.1:$bare_port" \
			-crm-pid "$crm_pid" -bare-pid "$bare_pid" -explain-out "$work/explain-sqlite.sql" "${common[@]}" ||
			load_failed sqlite
		stop_crm sqlite
		if [[ "$explain" == 1 && -s "$work/explain-sqlite.sql" ]]; then
			if command -v sqlite3 >/dev/null; then
				say "query plans of the customer scenarios (sqlite3 shell) -> ${out%.json}-explain-sqlite.txt"
				# (a background command's stdin is /dev/null: the script is read with .read)
				in_background sqlite3 -bail "$work/sqlite/crm.db" ".read $work/explain-sqlite.sql" >"${out%.json}-explain-sqlite.txt" 2>&1 ||
					say "EXPLAIN on SQLite failed; see ${out%.json}-explain-sqlite.txt"
			else
				say "no sqlite3 shell: the SQLite query plans are not saved"
			fi
		fi
		;;
	postgres)
		command -v psql >/dev/null || die "psql is needed to create the PostgreSQL benchmark database"
		psql_admin -d postgres -c "SELECT 1" >/dev/null ||
			die "PostgreSQL does not answer at $pg_host:$pg_port as $pg_admin (start it with deploy/ensure-postgres.sh)"
		pg_version="$(psql_admin -d postgres -Atc "SHOW server_version")"
		drop_stale_databases
		# Roles are cluster-wide; the owner cannot create roles, so both are made here.
		for role in crm_owner crm_app; do
			psql_admin -d postgres -c "DO \$\$ BEGIN
				IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN
					CREATE ROLE $role LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS;
				END IF;
			EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
			END \$\$"
		done
		pg_db="crm_bench_$$"
		psql_admin -d postgres -c "CREATE DATABASE \"$pg_db\" OWNER crm_owner"
		psql_admin -d "$pg_db" -c "ALTER SCHEMA public OWNER TO crm_owner"
		# The superuser provisioning step of the README (name search under RLS).
		psql_admin -d "$pg_db" -c "ALTER FUNCTION texticlike(text, text) LEAKPROOF"
		base="$pg_host:$pg_port/$pg_db?sslmode=disable"
		start_crm postgres "postgres://crm_app@$base" "postgres://crm_owner@$base"
		# After the import, VACUUM (ANALYZE) the benchmark database: the state autovacuum reaches
		# within a minute or two of a large import, made explicit so the plans measured do not
		# depend on when autovacuum happens to run.
		after_import="psql -X -q -v ON_ERROR_STOP=1 -h '$pg_host' -p '$pg_port' -U '$pg_admin' -d '$pg_db' -c 'VACUUM (ANALYZE)'"
		in_background "$load" run -db postgres -crm "$crm_url" -bare "http://127.0.0.1:$bare_port" \
			-crm-pid "$crm_pid" -bare-pid "$bare_pid" -pg-database "$pg_db" -postgres-version "$pg_version" \
			-after-import "$after_import" -explain-out "$work/explain-postgres.sql" "${common[@]}" ||
			load_failed postgres
		if [[ "$explain" == 1 && -s "$work/explain-postgres.sql" ]]; then
			say "query plans of the customer scenarios (as crm_app, RLS on) -> ${out%.json}-explain-postgres.txt"
			in_background psql_admin -d "$pg_db" -f "$work/explain-postgres.sql" >"${out%.json}-explain-postgres.txt" 2>&1 ||
				say "EXPLAIN on PostgreSQL failed; see ${out%.json}-explain-postgres.txt"
		fi
		stop_crm postgres
		psql_admin -d postgres -c "DROP DATABASE IF EXISTS \"$pg_db\" WITH (FORCE)"
		pg_db=""
		;;
	esac
done

# Plugins: one Classify call's latency through the host (p50/p99) and a whole tenant of
# BENCH_PLUGIN_CUSTOMERS customers (default 100000) re-classified through the example
# classifier end to end, with the built-in rules for comparison (plugins/host/bench_test.go;
# docs/BENCHMARKS.md). BENCH_PLUGINS=0 skips it.
if [[ "${BENCH_PLUGINS:-1}" == 1 ]]; then
	say "plugin benchmarks -> ${out%.json}-plugins.txt"
	BENCH_DATABASES="$databases" CRM_TEST_POSTGRES_URL="postgres://$pg_admin@$pg_host:$pg_port/postgres?sslmode=disable" \
		"$GO" test ./plugins/host -run '^$' -bench Plugin -benchtime 1x -timeout 40m 2>&1 |
		grep -v '^[[:space:]]*apitest.go' | tee "${out%.json}-plugins.txt"
fi

report=(-in "$out")
[[ "$strict" == 1 ]] && report+=(-strict)
"$load" report "${report[@]}"
say "results written to $out"
