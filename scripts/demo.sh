#!/usr/bin/env bash
# The demo: sets everything up, starts the local AWS emulator, writes a config with
# `dpf init`, deploys every phase that exists, prints `dpf status`, stops the emulator.
# Runs in a scratch folder (.dpf-demo/) so it never touches your own dpf.config.yaml.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
bash tools/setup.sh

endpoint="$(tools/emulator.sh start)"
trap '"$ROOT/tools/emulator.sh" stop' EXIT
echo "demo: AWS emulator (moto) at $endpoint"

export AWS_ENDPOINT_URL="$endpoint" AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_REGION=us-west-2 AWS_EC2_METADATA_DISABLED=true
export DPF_POLL_MS=200
demo="$ROOT/.dpf-demo"
rm -rf "$demo" && mkdir -p "$demo" && cd "$demo"
dpf() { "$ROOT/bin/dpf" "$@"; }
step() { printf '\n\033[1m$ dpf %s\033[0m\n' "$*"; }

step init --env demo --defaults --yes --alarm-email ops@example.com
dpf init --env demo --defaults --yes --alarm-email ops@example.com
step plan --env demo
dpf plan --env demo || [ $? -eq 2 ]   # exit 2 = changes pending (terraform plan -detailed-exitcode)
step deploy --env demo --yes
dpf deploy --env demo --yes
step deploy --env demo --yes "(again: a verified no-op)"
dpf deploy --env demo --yes
step status --env demo
dpf status --env demo
step report golive --env demo
dpf report golive --env demo
step report weekly --env demo
dpf report weekly --env demo
step backup --env demo --yes
dpf backup --env demo --yes
step dr-drill --env demo --scope restore --yes --json
# The drill's verdict: one JSON object on stdout (progress goes to stderr).
dpf dr-drill --env demo --scope restore --yes --json 2>"$demo/dr-drill.progress.ndjson" | tee "$demo/dr-drill.json"
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const v = r.passed === true ? "PASSED" : r.passed === false ? "FAILED" : "NOT FULLY VERIFIED (not a pass)";
console.log(`\nDR drill (${r.scope}): ${v}`);
for (const s of r.stores) console.log(`  ${s.name.padEnd(11)} RTO ${s.rtoSeconds ?? "-"}s / target ${s.rtoTargetSeconds}s   RPO ${s.rpoSeconds ?? "-"}s / target ${s.rpoTargetSeconds}s   ${s.passed === true ? "met" : s.passed === false ? "MISSED" : "not verified: " + (s.reason ?? "")}`);
console.log(`  report: ${r.report}`);
' "$demo/dr-drill.json"
echo
echo "demo: done. Reports are in $demo/reports/demo/; the ledger is $demo/.dpf/demo/ledger.json"
