#!/usr/bin/env bash
# make perf: check against findmnt and the runbook's shell steps (10k and 100k-file HF caches,
# warm and, as root, cold), check on the runbook's own layout with no Docker engine and with one
# running, then synth-model's write speed. One run, printed figures.
set -euo pipefail
BIN=${1:-.build/release/sllm-doctor}
T=$(mktemp -d /tmp/sllm-perf-XXXX)
engine_pid=""
stop_engine() {
  if [ -n "$engine_pid" ]; then
    kill "$engine_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$engine_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$engine_pid" 2>/dev/null || true
    umount "$T"/engine/exec/netns/* 2>/dev/null || true
  fi
  rm -rf "$T"
}
trap stop_engine EXIT
# A private engine for the "engine running" rows (as scripts/with-test-docker.sh starts one:
# its own socket and folders, no bridge, no iptables), stopped by its PID afterwards.
if [ "$(id -u)" = 0 ] && command -v dockerd >/dev/null; then
  mkdir -p "$T/engine"
  sock="unix://$T/engine/docker.sock"
  dockerd --host "$sock" --data-root "$T/engine/data" --exec-root "$T/engine/exec" --pidfile "$T/engine/pid" \
    --bridge=none --iptables=false --ip-masq=false >"$T/engine/log" 2>&1 &
  engine_pid=$!
  for _ in $(seq 1 300); do DOCKER_HOST="$sock" docker version >/dev/null 2>&1 && break; sleep 0.1; done
  if DOCKER_HOST="$sock" docker version >/dev/null 2>&1; then export SLLM_PERF_DOCKER_HOST="$sock"
  else echo "perf: the private dockerd did not start (engine-running rows skipped)"; tail -3 "$T/engine/log"; fi
fi
python3 scripts/perf.py "$BIN"
echo
scripts/perf-anatomy.sh "$BIN"
echo
echo "synth-model write speed, qwen3-0.6b shape (1.19 GB of weights):"
"$BIN" synth-model --shape qwen3-0.6b --hf-home "$T/synth" --repo perf/qwen 2>/dev/null | grep "write speed"
