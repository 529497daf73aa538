#!/usr/bin/env bash
# Makes sure the Redis server the tests use answers; safe to run any number of times.
#
# The server is the one CRM_TEST_REDIS_URL names (default redis://127.0.0.1:6379/0). On this
# machine a stopped server is started (in memory only: no snapshot, no append-only file), and
# when Redis is not installed at all it is installed from Debian's packages. A remote server
# is only checked. Exits non-zero, saying why, when Redis cannot be made available: the tests
# of the shared rate limits need it and fail rather than skip.
set -euo pipefail

url="${CRM_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}"
wait_seconds="${CRM_REDIS_WAIT:-15}"

say() { echo "ensure-redis: $*" >&2; }
die() {
	say "$*"
	say "the tests need Redis; set CRM_TEST_REDIS_URL to a running server, or fix the local one"
	exit 1
}

# host and port from redis://[user:pw@]host:port/db (an IPv6 host is in brackets).
hostport="${url#*://}"
hostport="${hostport%%/*}"
hostport="${hostport%%\?*}"
hostport="${hostport##*@}"
case "$hostport" in
\[*\]:*) host="${hostport%%]*}"; host="${host#[}"; port="${hostport##*]:}" ;;
\[*\]) host="${hostport#[}"; host="${host%]}"; port=6379 ;;
*:*) host="${hostport%%:*}"; port="${hostport##*:}" ;;
*) host="$hostport"; port=6379 ;;
esac
host="${host:-127.0.0.1}"
port="${port:-6379}"

ready() {
	if command -v redis-cli >/dev/null 2>&1; then
		[ "$(timeout 3 redis-cli -h "$host" -p "$port" ping 2>/dev/null </dev/null)" = PONG ]
	else
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

if ready; then
	say "Redis is up at $host:$port"
	exit 0
fi

case "$host" in
127.0.0.1 | localhost | ::1) ;;
*)
	say "waiting up to ${wait_seconds}s for the remote server $host:$port"
	wait_ready || die "the server $host:$port named by CRM_TEST_REDIS_URL does not answer"
	say "Redis is up at $host:$port"
	exit 0
	;;
esac

sudo=()
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	sudo=(sudo -n)
fi

if ! command -v redis-server >/dev/null 2>&1; then
	command -v apt-get >/dev/null 2>&1 || die "Redis is not installed and there is no apt-get to install it"
	[ "$(id -u)" = 0 ] || [ ${#sudo[@]} -gt 0 ] || die "Redis is not installed, and installing it needs root (or passwordless sudo)"
	say "Redis is not installed; installing Debian's redis-server package"
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update -q </dev/null || die "apt-get update failed"
	"${sudo[@]}" apt-get install -y -q redis-server </dev/null || die "apt-get install redis-server failed"
fi

say "starting redis-server on port $port"
redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$port" --save "" --appendonly no </dev/null >/dev/null ||
	die "redis-server did not start"
wait_ready || die "Redis did not come up on $host:$port within ${wait_seconds}s"
say "Redis is up at $host:$port"
