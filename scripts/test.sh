#!/usr/bin/env bash
# Runs the whole test-suite. It installs what the tests need when it is
# missing (Debian's postgresql and chromium; needs root or sudo), starts a
# throw-away PostgreSQL server on a free local port, runs `go test` against
# both SQLite and PostgreSQL, and stops the server again.
#
#   scripts/test.sh            all tests
#   scripts/test.sh -run Foo   extra arguments go to `go test`
set -euo pipefail
cd "$(dirname "$0")/.."
# Go 1.26.8 has known vulnerabilities in the standard library: build and
# test with the toolchain go.mod names (the go command fetches it).
export GOTOOLCHAIN=go1.27.3

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

need=()
[ -n "$(pg_bin)" ] || need+=(postgresql)
command -v chromium >/dev/null || command -v chromium-browser >/dev/null || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
	echo "test.sh: installing ${need[*]}"
	as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null ||
		echo "test.sh: could not install ${need[*]}; the tests that need them will skip (or fail under CI=true)"
fi

tmp=$(mktemp -d /tmp/harmtrace-test.XXXXXX)
pg_dir=""
cleanup() {
	if [ -n "$pg_dir" ] && [ -f "$pg_dir/data/postmaster.pid" ]; then
		run_pg "$(pg_bin)/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# PostgreSQL's tools refuse to run as root: run them as the postgres user.
run_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ -z "${HARMTRACE_TEST_POSTGRES:-}" ] && [ -n "$(pg_bin)" ]; then
	pg_dir="$tmp/pg"
	mkdir -p "$pg_dir"
	[ "$(id -u)" = 0 ] && chown postgres "$pg_dir" "$tmp"
	port=$(( 20000 + RANDOM % 20000 ))
	run_pg "$(pg_bin)/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
	run_pg "$(pg_bin)/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w -o \
		"-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
		start >/dev/null
	export HARMTRACE_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
	echo "test.sh: PostgreSQL $(run_pg "$(pg_bin)/postgres" --version | awk '{print $3}') on port $port"
fi

# The bundled open data, loaded once by a build without the race detector
# (under it, loading takes a minute of internal/web's run): the tests that
# read it get a copy (HARMTRACE_TEST_BUNDLED; without it they load it).
go build -o "$tmp/harmtrace" ./cmd/harmtrace
"$tmp/harmtrace" --data "$tmp/bundled" seed >"$tmp/seed.log" 2>&1 &
seed_pid=$!
go vet ./...
if wait "$seed_pid"; then
	export HARMTRACE_TEST_BUNDLED="$tmp/bundled/harmtrace.db"
else
	cat "$tmp/seed.log"
fi

# The fuzz targets of the parsers that had none run briefly beside the
# tests, one fuzzing process at a time (scripts/fuzz.sh runs them all).
fuzz_pid=""
if [ $# -eq 0 ]; then
	FUZZTIME=${FUZZTIME:-10s} FUZZ_WORKERS=1 scripts/fuzz.sh \
		'FuzzCheckRequest|FuzzProfileImport|FuzzMapping|FuzzDetect|FuzzWorkspaceForm|FuzzTAXIIQuery|FuzzUpload|FuzzReportForm' \
		>"$tmp/fuzz.log" 2>&1 &
	fuzz_pid=$!
fi

# The race detector makes a program many times slower and finds nothing
# where a test runs one goroutine: loading the bundled data and decoding
# every format (seed, importer) run without it. internal/web, the longest,
# is named first so that it starts first.
norace=(./internal/seed ./internal/importer)
race=(./internal/web $(go list ./... | grep -v -e '/internal/web$' -e '/internal/seed$' -e '/internal/importer$'))
status=0
go test -count=1 -timeout 12m "$@" "${norace[@]}" >"$tmp/norace.log" 2>&1 &
norace_pid=$!
go test -race -count=1 -timeout 12m "$@" "${race[@]}" || status=1
wait "$norace_pid" || status=1
cat "$tmp/norace.log"
if [ -n "$fuzz_pid" ]; then
	wait "$fuzz_pid" || status=1
	cat "$tmp/fuzz.log"
fi
exit $status
