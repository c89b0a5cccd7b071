#!/usr/bin/env bash
# Regenerate reports/example/: the qemu-7.2 recover-exits counterexample as the saved trace
# (ITF JSON), the verdicts (JSON, JUnit, SARIF), the terminal lanes (text, 100 and 200
# columns), the HTML report and the state-graph picture.  Run from anywhere:
#   bash scripts/make-example.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=reports/example
rm -rf "$out"
mkdir -p "$out"
status=0
migcheck check --model qemu-7.2 --property recover-exits --traces "$out" \
  --json "$out/check.json" --junit "$out/junit.xml" --sarif "$out/check.sarif" \
  --last "$out/last-check.json" > "$out/check.txt" || status=$?
if [ "$status" != 1 ]; then
  echo "make-example: expected the qemu-7.2 check to fail (exit 1), got $status" >&2
  exit 1
fi
trace="$out/qemu-7.2--recover-exits.itf.json"
[ -s "$trace" ] || { echo "make-example: the check saved no trace ($trace)" >&2; exit 1; }
migcheck trace "$trace" --width 100 --color never > "$out/recover-exits.100.txt"
migcheck trace "$trace" --width 200 --color never > "$out/recover-exits.200.txt"
migcheck trace "$trace" --width 100 --color never --diff > "$out/recover-exits.diff.txt"
migcheck report --from "$out/last-check.json" --out "$out"
migcheck graph --model qemu-7.2 --trace "$trace" --layout grid --out "$out/states"
rm -f "$out/last-check.json"
echo "make-example: wrote $(ls "$out" | wc -l) files in $out"
