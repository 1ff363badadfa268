#!/usr/bin/env bash
# The whole fix → check → synth-model → bench sequence on a bare GPU box (the lent H100).
# Rehearse here with FAKE=1 SHAPE=tiny: the same steps against Tests/Standins/fake_vllm.py.
#   BIN      sllm-doctor binary             (default /tmp/sllm-doctor)
#   SHAPE    synth-model shape              (default llama-3.1-8b)
#   RUNS     runs per variant, cold bench   (default 3)
#   WARM_RUNS runs per variant, warm bench  (default 1; 0 skips it)
#   FAKE=1   use the loopback stand-in instead of vLLM
#   OUTDIR   where results are copied       (default $OUT or /tmp/h100-out)
set -u
GPU_NAME=$(bash "$(dirname "$0")/gpu-name.sh")
BIN=${BIN:-/tmp/sllm-doctor}
SHAPE=${SHAPE:-llama-3.1-8b}
RUNS=${RUNS:-3}
WARM_RUNS=${WARM_RUNS:-1}
OUTDIR=${OUTDIR:-${OUT:-/tmp/h100-out}}
REPO_SRC=$(cd "$(dirname "$0")/../.." && pwd)
W=/tmp/h100; MNT=${MNT:-/nvme}; IMG=${IMG:-/tmp/nvme.img}
MODEL=meta-llama/Llama-3.1-8B-Instruct
mkdir -p "$W/repo" "$OUTDIR"
step() { echo; echo "=== $(date -u +%H:%M:%S) $*"; }

step "disk: 40G image on a loop device"
truncate -s 40G "$IMG"
LOOP=$(losetup -j "$IMG" | cut -d: -f1 | head -1)
[ -n "$LOOP" ] || LOOP=$(losetup -f --show "$IMG")
echo "loop device: $LOOP"
cat > "$W/repo/.env" <<EOF
MODEL_FOLDER=$MNT/sllm-models
HF_CACHE_FOLDER=$MNT/hf-cache
MODEL_NAME=$MODEL
MEM_POOL_SIZE=32GB
VLLM_BASELINE_PORT=8001
VLLM_FASTSTART_PORT=8002
SLLM_NUM_THREAD=16
SLLM_CHUNK_SIZE=128MB
EOF
chmod 600 "$W/repo/.env"

step "fix --mount $MNT --device $LOOP --format --yes"
"$BIN" fix --root "$W/repo" --mount "$MNT" --device "$LOOP" --format --yes; echo "exit $?"
step "fix again (must be nothing to do)"
"$BIN" fix --root "$W/repo" --mount "$MNT" --device "$LOOP" --format --yes; echo "exit $?"
step "check"
"$BIN" check --root "$W/repo" --device "$LOOP" -v; echo "exit $?"

step "synth-model --shape $SHAPE"
"$BIN" synth-model --shape "$SHAPE" --hf-home "$MNT/hf-cache" --repo "$MODEL"; echo "exit $?"
step "check --offline"
"$BIN" check --root "$W/repo" --device "$LOOP" --offline -v; echo "exit $?"
"$BIN" check --root "$W/repo" --device "$LOOP" --offline --json > "$OUTDIR/check-offline.json"

SNAP=$(ls -d "$MNT/hf-cache/hub/models--meta-llama--Llama-3.1-8B-Instruct/snapshots/"* | head -1)
PY=/opt/torch/.venv/bin/python3; [ -x "$PY" ] || PY=python3
mkdir -p "$MNT/vllm-cache"
if [ "${FAKE:-0}" = 1 ]; then
  serve() { echo "[$PY, $REPO_SRC/Tests/Standins/fake_vllm.py, $SNAP, --served-model-name, $MODEL, --port, '$1', --ready-delay, '1.5', --load-format, $2]"; }
else
  serve() { echo "[$PY, -m, vllm.entrypoints.cli.main, serve, $SNAP, --served-model-name, $MODEL, --port, '$1', --load-format, $2, --max-model-len, '4096', --gpu-memory-utilization, '0.85']"; }
fi
ENVLINE="{PYTHONPATH: /tmp/vsite, VLLM_USE_FLASHINFER_SAMPLER: '0', VLLM_CACHE_ROOT: $MNT/vllm-cache, HF_HOME: $MNT/hf-cache}"
plan() {
  cat <<EOF
model: $MODEL
ready_timeout_s: 600
stop_grace_s: 30
variants:
  - name: safetensors
    port: 8001
    command: $(serve 8001 safetensors)
    env: $ENVLINE
  - name: fastsafetensors
    port: 8002
    command: $(serve 8002 fastsafetensors)
    env: $ENVLINE
  - name: runai_streamer
    port: 8003
    command: $(serve 8003 runai_streamer)
    env: $ENVLINE
EOF
  if [ "${1:-}" = wake ]; then cat <<EOF
  - name: sleep-wake
    kind: wake
    port: 8004
    command: $(serve 8004 safetensors)
    env: $ENVLINE
EOF
  fi
}
plan wake > "$W/plan-cold.yaml"
plan > "$W/plan-warm.yaml"
cp "$W/plan-cold.yaml" "$W/plan-warm.yaml" "$OUTDIR/"

step "bench: restart, --drop-caches --offline, $RUNS runs"
"$BIN" bench --root "$W/repo" --plan "$W/plan-cold.yaml" --runs "$RUNS" --drop-caches --offline \
  --note "$GPU_NAME $SHAPE synthetic weights, loop disk ext4, page cache dropped"; echo "exit $?"
if [ "$WARM_RUNS" -gt 0 ]; then
  step "bench: restart, warm page cache, --offline, $WARM_RUNS runs"
  "$BIN" bench --root "$W/repo" --plan "$W/plan-warm.yaml" --runs "$WARM_RUNS" --offline \
    --note "$GPU_NAME $SHAPE synthetic weights, loop disk ext4, warm page cache"; echo "exit $?"
fi
step "collect"
tar -C "$W/repo" -czf "$OUTDIR/benchmarks.tgz" benchmarks
ls -la "$OUTDIR"
step "done"
