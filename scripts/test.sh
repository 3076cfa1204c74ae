#!/usr/bin/env bash
# The test command (README and .ci/run): install what the tests need, build, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
npx vitest run "$@"
