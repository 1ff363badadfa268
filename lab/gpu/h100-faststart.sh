#!/usr/bin/env bash
# Faststart for real on the lent H100: ServerlessLLM Store 0.8 built from its PyPI sdist against
# torch 2.11, our loader plugin (integrations/vllm-serverless-llm) giving vLLM 0.26
# `--load-format serverless_llm`, and sllm-doctor benchmarking it against safetensors.
# Expects vLLM installed in /tmp/vsite (../shared/gpu/README.md) and /tmp/carry holding
# .gpu/p3 (lab/gpu/prepare-faststart-carry.sh).
# Rehearse here first:
#   FAKE=1 SHAPE=tiny MNT=/tmp/fs-nvme IMG=/tmp/fs.img BIN=.build/debug/sllm-doctor lab/gpu/h100-faststart.sh
#   BIN SHAPE RUNS WARM_RUNS OUTDIR FAKE MNT IMG CARRY POOL  (defaults below)
set -u
GPU_NAME=$(bash "$(dirname "$0")/gpu-name.sh")
BIN=${BIN:-/tmp/sllm-doctor}
SHAPE=${SHAPE:-llama-3.1-8b}
RUNS=${RUNS:-3}
WARM_RUNS=${WARM_RUNS:-1}
OUTDIR=${OUTDIR:-${OUT:-/tmp/h100-out}}
CARRY=${CARRY:-/tmp/carry}
POOL=${POOL:-20GB}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
W=${W:-/tmp/h100}; MNT=${MNT:-/nvme}; IMG=${IMG:-/tmp/nvme.img}
MODEL=meta-llama/Llama-3.1-8B-Instruct
PY=/opt/torch/.venv/bin/python3; [ -x "$PY" ] || PY=python3
SITE=/tmp/plugin-site:/tmp/sllm-site
# sllm_store's server loads libglog.so from its own folder; CUDA's runtime for the extensions.
export LD_LIBRARY_PATH=/tmp/sllm-site/sllm_store:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
mkdir -p "$W/repo" "$OUTDIR"
step() { echo; echo "=== $(date -u +%H:%M:%S) $*"; }

if [ "${FAKE:-0}" != 1 ] && [ ! -d /tmp/sllm-site/sllm_store ]; then
  step "build serverless-llm-store 0.8.0 from its PyPI sdist (pip, cmake, nvcc) against torch 2.11"
  CARRY=$CARRY LOG=$OUTDIR/sllm-store-build.log bash "$SRC/lab/gpu/build-sllm-store.sh" /tmp/sllm-site shared
  step "install the loader plugin"
  "$PY" -m pip install -q --no-build-isolation --no-deps --no-index --target /tmp/plugin-site "$SRC/integrations/vllm-serverless-llm"
  echo "pip exit $?"
  step "imports: store extensions, plugin entry point, registration in vLLM"
  PYTHONPATH=$SITE:/tmp/vsite "$PY" -c '
import importlib.metadata as md
import sllm_store._C, sllm_store._checkpoint_store, sllm_store.torch
eps = [e for e in md.entry_points(group="vllm.general_plugins") if e.name == "serverless_llm"]
print("entry point:", eps)
eps[0].load()()
from vllm.model_executor.model_loader import _LOAD_FORMAT_TO_MODEL_LOADER as reg
print("registered:", reg.get("serverless_llm"))
assert reg.get("serverless_llm") is not None, "serverless_llm is not in vLLM'"'"'s loader registry"'
  echo "exit $?"
fi

step "disk: 48G image on a loop device, fix --mount"
truncate -s 48G "$IMG"
LOOP=$(losetup -j "$IMG" | cut -d: -f1 | head -1)
[ -n "$LOOP" ] || LOOP=$(losetup -f --show "$IMG")
printf 'MODEL_FOLDER=%s\nHF_CACHE_FOLDER=%s\nMODEL_NAME=%s\nMEM_POOL_SIZE=%s\nVLLM_BASELINE_PORT=8001\nVLLM_FASTSTART_PORT=8002\n' \
  "$MNT/sllm-models" "$MNT/hf-cache" "$MODEL" "$POOL" > "$W/repo/.env"
chmod 600 "$W/repo/.env"
"$BIN" fix --root "$W/repo" --mount "$MNT" --device "$LOOP" --format --yes; echo "exit $?"

step "synth-model --shape $SHAPE"
"$BIN" synth-model --shape "$SHAPE" --hf-home "$MNT/hf-cache" --repo "$MODEL"; echo "exit $?"
SNAP=$(ls -d "$MNT/hf-cache/hub/models--meta-llama--Llama-3.1-8B-Instruct/snapshots/"* | head -1)
STORE_DIR="$MNT/sllm-models/vllm/$MODEL"

step "convert to the store format (sllm-convert, no patched vLLM)"
if [ "${FAKE:-0}" = 1 ]; then
  # No sllm_store here: lay out the same files by hand so the rest of the flow can run.
  mkdir -p "$STORE_DIR/rank_0" && cp "$SNAP"/*.json "$STORE_DIR/"
  head -c 4096 /dev/urandom > "$STORE_DIR/rank_0/tensor.data_0"
  echo '{"w": [0, 4096, [2048], [1], "torch.bfloat16"]}' > "$STORE_DIR/rank_0/tensor_index.json"
else
  case "$STORE_DIR" in "$MNT"/sllm-models/vllm/?*) rm -rf "$STORE_DIR" ;; esac
  PYTHONPATH=$SITE:/tmp/vsite "$PY" -m vllm_serverless_llm.convert \
    --model "$SNAP" --storage-path "$MNT/sllm-models" --name "$MODEL" > "$OUTDIR/convert.log" 2>&1
  echo "exit $?"; tail -3 "$OUTDIR/convert.log"
fi

step "start the store (pool $POOL)"
if [ "${FAKE:-0}" = 1 ]; then
  # A plain listener on 8073 stands in for the store's port.
  FAKE_STORE="$SRC/lab/gpu/fake-store.sh"
  STORE_CMD="[bash, $FAKE_STORE]"
  bash "$FAKE_STORE"; echo "exit $?"
else
  STORE_CMD="[env, STORAGE=$MNT/sllm-models, POOL=$POOL, LOG=$OUTDIR/sllm-store.log, bash, $SRC/lab/gpu/sllm-store.sh, restart]"
  STORAGE=$MNT/sllm-models POOL=$POOL LOG=$OUTDIR/sllm-store.log bash "$SRC/lab/gpu/sllm-store.sh" start; echo "exit $?"
fi
"$BIN" check --root "$W/repo" --device "$LOOP" --offline -v; echo "exit $?"

mkdir -p "$MNT/vllm-cache"
if [ "${FAKE:-0}" = 1 ]; then
  serve() { echo "[$PY, $SRC/Tests/Standins/fake_vllm.py, $3, --served-model-name, $MODEL, --port, '$1', --ready-delay, '1.5', --load-format, $2]"; }
else
  serve() { echo "[$PY, -m, vllm.entrypoints.cli.main, serve, $3, --served-model-name, $MODEL, --port, '$1', --load-format, $2, --max-model-len, '4096', --gpu-memory-utilization, '0.85']"; }
fi
ENVLINE="{PYTHONPATH: '$SITE:/tmp/vsite', LD_LIBRARY_PATH: '$LD_LIBRARY_PATH', VLLM_USE_FLASHINFER_SAMPLER: '0', VLLM_CACHE_ROOT: $MNT/vllm-cache, HF_HOME: $MNT/hf-cache, SLLM_STORAGE_PATH: $MNT/sllm-models}"
{
  echo "model: $MODEL"
  echo "ready_timeout_s: 600"
  echo "stop_grace_s: 30"
  echo "variants:"
  echo "  - name: safetensors"
  echo "    port: 8001"
  echo "    command: $(serve 8001 safetensors "$SNAP")"
  echo "    env: $ENVLINE"
  echo "  - name: serverless_llm"
  echo "    port: 8002"
  echo "    serverless_llm: true"
  echo "    store_restart: $STORE_CMD"
  echo "    command: $(serve 8002 serverless_llm "$STORE_DIR")"
  echo "    env: $ENVLINE"
} > "$W/plan.yaml"
cp "$W/plan.yaml" "$OUTDIR/"

step "bench: cold (page cache dropped, store restarted), --offline, $RUNS runs"
"$BIN" bench --root "$W/repo" --plan "$W/plan.yaml" --runs "$RUNS" --drop-caches --offline \
  --note "$GPU_NAME $SHAPE synthetic weights, loop disk ext4, page cache dropped, store restarted"; echo "exit $?"
if [ "$WARM_RUNS" -gt 0 ]; then
  step "bench: warm (page cache and store pool kept), --offline, $WARM_RUNS runs"
  "$BIN" bench --root "$W/repo" --plan "$W/plan.yaml" --runs "$WARM_RUNS" --offline \
    --note "$GPU_NAME $SHAPE synthetic weights, loop disk ext4, warm page cache, store pool warm"; echo "exit $?"
fi
step "collect"
tar -C "$W/repo" -czf "$OUTDIR/benchmarks.tgz" benchmarks
ls -la "$OUTDIR"
step "done"
