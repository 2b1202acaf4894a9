#!/usr/bin/env bash
# Runs every fuzz target of the project briefly, one after the other, with
# its corpus in the package's testdata/fuzz, and prints one line per target
# with its executions. A target that fails prints its output, and the
# failing input is saved in testdata/fuzz for `go test` to replay.
#
#   scripts/fuzz.sh                 every target, 10 s each (FUZZTIME=30s to change)
#   scripts/fuzz.sh 'FuzzUpload|FuzzDetect'   the targets whose names match
#   FUZZ_WORKERS=1 scripts/fuzz.sh  one fuzzing process (default: one per core)
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3
fuzztime=${FUZZTIME:-10s}
match=${1:-.}
failed=0
while read -r file; do
	pkg=./$(dirname "$file")
	for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | cut -c6-); do
		[[ $target =~ ^($match)$ || $match == . ]] || continue
		if out=$(go test -run '^$' -fuzz "^$target\$" -fuzztime "$fuzztime" -fuzzminimizetime 1s \
			${FUZZ_WORKERS:+-parallel "$FUZZ_WORKERS"} "$pkg" 2>&1); then
			execs=$(grep -o 'execs: [0-9]*' <<<"$out" | tail -n 1 | cut -d' ' -f2)
			printf 'fuzz %-22s %-34s %8s execs in %s\n' "$target" "$pkg" "${execs:-?}" "$fuzztime"
		else
			echo "fuzz $target $pkg FAILED:"
			echo "$out" | tail -n 40
			failed=1
		fi
	done
done < <(grep -rl --include='*_test.go' '^func Fuzz' internal | sort)
exit $failed
