#!/usr/bin/env bash
# The test command (README and .ci/run): install what the tests need, build, run every test,
# and close with a plain "Tests: N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
results="$(mktemp -t dpf-vitest-XXXXXX.json)"
status=0
npx vitest run --reporter=default --reporter=json --outputFile="$results" "$@" || status=$?
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
console.log(`Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ""}`);
' "$results" || true
rm -f "$results"
exit "$status"
