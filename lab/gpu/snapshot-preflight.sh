#!/usr/bin/env bash
# `check --profile snapshot` on the lent GPU machine, three ways: the host as it is with no CRIU
# given, with the carried CRIU (SLLM_CRIU), and with kernel.io_uring_disabled=2 as well.
# Carries .gpu/criu (scripts/fetch-criu.sh .gpu/criu) and .gpu/bin/sllm-doctor.xz.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-/tmp/preflight-out}; mkdir -p "$OUT"
BIN=${BIN:-/tmp/sllm-doctor}
W=${W:-/tmp/pf}; rm -rf "$W"; mkdir -p "$W/repo" "$W/img"
PY=/opt/torch/.venv/bin/python3; [ -x "$PY" ] || PY=python3
MODEL=meta-llama/Llama-3.1-8B-Instruct
"$BIN" synth-model --shape "${SHAPE:-llama-3.1-8b}" --hf-home "$W/hf" --repo "$MODEL" | tail -1
printf 'MODEL_NAME=%s\nMODEL_FOLDER=%s\nHF_CACHE_FOLDER=%s\nSNAPSHOT_FOLDER=%s\nSNAPSHOT_VLLM_ARGS=--kv-cache-memory-bytes 4294967296\nVLLM_PYTHON=%s\n' \
  "$MODEL" "$W/models" "$W/hf" "$W/img" "$PY" > "$W/repo/.env"
mkdir -p "$W/models"
run() {  # name, then env assignments
  local name=$1; shift
  env "$@" "$BIN" check --root "$W/repo" --profile snapshot --only snapshot -v > "$OUT/preflight-$name.txt" 2>&1
  echo "== $name: exit $?"; grep -E '^\s+\[.\] snapshot' "$OUT/preflight-$name.txt"
}
run as-is
run with-criu SLLM_CRIU="$SRC/.gpu/criu/criu"
old=$(cat /proc/sys/kernel/io_uring_disabled)
sysctl -qw kernel.io_uring_disabled=2
run ready SLLM_CRIU="$SRC/.gpu/criu/criu"
SLLM_CRIU="$SRC/.gpu/criu/criu" "$BIN" check --root "$W/repo" --profile snapshot --only snapshot --json > "$OUT/preflight-ready.json" 2>&1
sysctl -qw kernel.io_uring_disabled="$old"
