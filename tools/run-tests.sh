#!/usr/bin/env bash
# `make test`'s suites. The Go and Python SDK suites (each about one core: they start a server per
# test) run beside vitest rather than before it, which saves their ~3 minutes of wall time; their
# output is kept and printed after vitest's. Exits non-zero when any suite failed, and the last
# lines say how each ended and name vitest's failures (a CI log is often read from its tail).
set -uo pipefail
tools=$1
make --no-print-directory test-go > "$tools/test-go.log" 2>&1 & go=$!
make --no-print-directory test-python > "$tools/test-python.log" 2>&1 & py=$!
npx vitest run --reporter=default --reporter=json --outputFile.json="$tools/vitest-report.json" 2>&1 | tee "$tools/vitest.log"; vt=${PIPESTATUS[0]}
wait "$go"; go_rc=$?
wait "$py"; py_rc=$?
echo "--- make test-go"; cat "$tools/test-go.log"
echo "--- make test-python"; cat "$tools/test-python.log"
echo "go: exit $go_rc, python: exit $py_rc"
# The SDK suites' failures by name (go test's "--- FAIL:" lines, pytest's "FAILED" summary lines).
grep -a -h -E "^[[:space:]]*--- FAIL|^FAILED " "$tools/test-go.log" "$tools/test-python.log" | head -n 20
# Errors outside any test (vitest's "Unhandled Errors") are not in its JSON report: repeat them.
grep -a -A 20 "Unhandled Error" "$tools/vitest.log" | head -n 40
node tools/test-summary.ts "$tools/vitest-report.json"
[ "$vt" -eq 0 ] && [ "$go_rc" -eq 0 ] && [ "$py_rc" -eq 0 ]
