#!/usr/bin/env bash
# make perf: check against findmnt and the runbook's shell steps (10k and 100k-file HF caches,
# warm and, as root, cold), then synth-model's write speed. One run, printed figures.
set -euo pipefail
BIN=${1:-.build/release/sllm-doctor}
python3 scripts/perf.py "$BIN"
echo
T=$(mktemp -d /tmp/sllm-perf-XXXX); trap 'rm -rf "$T"' EXIT
echo "synth-model write speed, qwen3-0.6b shape (1.19 GB of weights):"
"$BIN" synth-model --shape qwen3-0.6b --hf-home "$T/synth" --repo perf/qwen 2>/dev/null | grep "write speed"
