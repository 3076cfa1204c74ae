#!/usr/bin/env bash
# Installs everything dpf's demo and tests need, idempotently:
#   - npm packages (npm ci, from package-lock.json), then the TypeScript build;
#   - the Python venv .venv from tools/requirements.txt (moto, cfn-lint, checkov,
#     ansible-core, ansible-lint, awscli), re-created when the requirements change.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "setup: npm run build"
npm run build --silent

PY="${PYTHON:-python3}"
stamp=".venv/.requirements.sha256"
want="$(sha256sum tools/requirements.txt | cut -d' ' -f1)"
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: creating .venv from tools/requirements.txt (a few minutes the first time)"
  rm -rf .venv
  "$PY" -m venv .venv
  # (grep drops pip's notices about index locations this machine's pip config names but does not have)
  .venv/bin/pip install --quiet --disable-pip-version-check -r tools/requirements.txt 2>&1 | { grep -v '^WARNING: Location' || true; }
  test "${PIPESTATUS[0]}" -eq 0
  echo "$want" > "$stamp"
fi
echo "setup: ok ($(.venv/bin/python -c 'import moto; print("moto", moto.__version__)'), $(.venv/bin/cfn-lint --version), node $(node --version))"
