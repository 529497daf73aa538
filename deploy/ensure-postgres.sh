#!/usr/bin/env bash
# Makes sure the PostgreSQL server the tests use answers; safe to run any number of times.
#
# The server is the one CRM_TEST_POSTGRES_URL names (default
# postgres://postgres@127.0.0.1:5432/postgres). On this machine a stopped cluster is started,
# and when PostgreSQL is not installed at all it is installed from Debian's packages. A remote
# server is only checked. Exits non-zero, saying why, when PostgreSQL cannot be made available:
# the tests need it and must fail rather than skip.
set -euo pipefail

url="${CRM_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
wait_seconds="${CRM_POSTGRES_WAIT:-30}"

say() { echo "ensure-postgres: $*" >&2; }
die() {
	say "$*"
	say "the tests need PostgreSQL; set CRM_TEST_POSTGRES_URL to an administrator URL of a running server, or fix the local one"
	exit 1
}

# host and port from postgres://user:pw@host:port/db?query (an IPv6 host is in brackets).
hostport="${url#*://}"
hostport="${hostport%%/*}"
hostport="${hostport%%\?*}"
hostport="${hostport##*@}"
case "$hostport" in
\[*\]:*) host="${hostport%%]*}"; host="${host#[}"; port="${hostport##*]:}" ;;
\[*\]) host="${hostport#[}"; host="${host%]}"; port=5432 ;;
*:*) host="${hostport%%:*}"; port="${hostport##*:}" ;;
*) host="$hostport"; port=5432 ;;
esac
host="${host:-127.0.0.1}"
port="${port:-5432}"

ready() {
	if command -v pg_isready >/dev/null 2>&1; then
		pg_isready -q -h "$host" -p "$port" -t 2 </dev/null
	else
		# No client tools: at least see whether something listens.
		timeout 2 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null
	fi
}

wait_ready() {
	local i
	for ((i = 0; i < wait_seconds; i++)); do
		ready && return 0
		sleep 1
	done
	ready
}

# The URL's role must be able to log in, not just reach the port.
check_login() {
	if command -v psql >/dev/null 2>&1; then
		local out
		if ! out="$(PGCONNECT_TIMEOUT=5 psql -X -w -q -At -d "$url" -c 'SELECT 1' </dev/null 2>&1)"; then
			die "PostgreSQL answers at $host:$port but logging in as CRM_TEST_POSTGRES_URL's role failed: $out"
		fi
	fi
	say "PostgreSQL is up at $host:$port"
	exit 0
}

case "$host" in
127.0.0.1 | localhost | ::1 | /*) local_server=1 ;;
*) local_server=0 ;;
esac

if ready; then
	check_login
fi

if [ "$local_server" = 0 ]; then
	say "waiting up to ${wait_seconds}s for the remote server $host:$port"
	wait_ready || die "the server $host:$port named by CRM_TEST_POSTGRES_URL does not answer"
	check_login
fi

# Local: we may need root to install or start the cluster.
sudo=()
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo=(sudo -n)
	fi
fi

have_cluster() {
	command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ] && [ -n "$(ls -A /etc/postgresql 2>/dev/null)" ]
}

installed_now=0
if ! have_cluster; then
	command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is not installed and there is no apt-get to install it"
	[ "$(id -u)" = 0 ] || [ ${#sudo[@]} -gt 0 ] || die "PostgreSQL is not installed, and installing it needs root (or passwordless sudo)"
	say "PostgreSQL is not installed; installing Debian's postgresql package"
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update -q </dev/null || die "apt-get update failed"
	"${sudo[@]}" apt-get install -y -q postgresql </dev/null || die "apt-get install postgresql failed"
	have_cluster || die "postgresql was installed but no cluster exists under /etc/postgresql"
	installed_now=1
fi

# A cluster we installed in this run is a throwaway test server: let the local roles in
# without passwords over loopback, as the development machines are set up (the test roles
# crm_owner and crm_app have no passwords).
if [ "$installed_now" = 1 ]; then
	for hba in /etc/postgresql/*/main/pg_hba.conf; do
		say "trusting loopback connections in $hba (fresh test cluster)"
		"${sudo[@]}" sed -i -E 's/^(host[[:space:]]+all[[:space:]]+all[[:space:]]+(127\.0\.0\.1\/32|::1\/128)[[:space:]]+)[a-z0-9-]+/\1trust/' "$hba"
	done
fi

say "starting the PostgreSQL cluster for port $port"
started=0
if command -v pg_lsclusters >/dev/null 2>&1; then
	# Columns: version, cluster, port, status, owner, data directory, log file.
	while read -r ver name cport status _; do
		[ "$cport" = "$port" ] || continue
		if [ "$installed_now" = 1 ] && [[ "$status" == online* ]]; then
			"${sudo[@]}" pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" reload </dev/null || true
		fi
		[[ "$status" == online* ]] && { started=1; continue; }
		if "${sudo[@]}" pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start </dev/null; then
			started=1
		else
			say "pg_ctlcluster $ver $name start failed; see /var/log/postgresql/postgresql-$ver-$name.log"
		fi
	done < <(pg_lsclusters -h 2>/dev/null)
fi
if [ "$started" = 0 ]; then
	for ver in $(ls /etc/postgresql); do
		"${sudo[@]}" pg_ctlcluster --skip-systemctl-redirect "$ver" main start </dev/null || true
	done
fi

wait_ready || {
	command -v pg_lsclusters >/dev/null 2>&1 && pg_lsclusters >&2 || true
	for log in /var/log/postgresql/postgresql-*-main.log; do
		[ -r "$log" ] && { say "last lines of $log:"; tail -n 20 "$log" >&2; }
	done
	die "PostgreSQL did not come up on $host:$port within ${wait_seconds}s"
}
check_login
