#!/usr/bin/env bash
# The test command (README and .ci/run): install what the tests need, build, run every test,
# and close with a plain "Tests: N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
# The architecture's rules (eslint.config.js: layers, process only in cli.ts, terminal and SDK libraries in their folders).
# The formatter (prettier, .prettierrc.json): a file not in its format fails the run; `npm run format` fixes it.
lint=0
npm run --silent format:check >/dev/null || { echo "Format: files not formatted (npm run format:check lists them; npm run format fixes them)"; lint=1; }
npm run --silent lint || lint=$?
results="$(mktemp -t dpf-vitest-XXXXXX.json)"
status=0
npx vitest run --reporter=default --reporter=json --outputFile="$results" "$@" || status=$?
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
console.log(`Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ""}`);
' "$results" || true
rm -f "$results"
if [ "$lint" -ne 0 ]; then echo "Lint: failed (npm run format:check, npm run lint)"; [ "$status" -eq 0 ] && status="$lint"; fi
exit "$status"
