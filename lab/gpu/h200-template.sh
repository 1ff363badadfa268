#!/usr/bin/env bash
# Restart in 10 s? The warm interpreter template (integrations/vllm-template) on the lent GPU
# machine, measured by the tool alone, in the order that matters if device time runs out:
#   A  warm, RUNS runs: safetensors and serverless_llm with the best knobs so far (fork +
#      bytecode + no-compile), then both forked from the template, then serverless_llm from
#      the template with --kv-cache-memory-bytes from an earlier start's log;
#   B  warm, RUNS runs: vLLM as given (its own bytecode setting, torch.compile, spawn);
#   C  the TTFT probe (cold_1, warm_1, warm x5) of the best configuration, through the template;
#   D  cold, RUNS runs: page cache dropped, store and template restarted before each run.
# Each step starts only if the deadline (DEADLINE, epoch seconds) leaves it time.
# Expects vLLM in /tmp/vsite (../shared/gpu/README.md) and /tmp/carry with the store wheel,
# libglog and sllm-doctor.xz. Rehearse here first (no GPU, the loopback stand-in):
#   FAKE=1 BIN=.build/debug/sllm-doctor W=/tmp/tpl-rehearsal OUTDIR=/tmp/tpl-out lab/gpu/h200-template.sh
set -u
GPU_NAME=$(bash "$(dirname "$0")/gpu-name.sh")
BIN=${BIN:-/tmp/sllm-doctor}
SHAPE=${SHAPE:-llama-3.1-8b}; [ "${FAKE:-0}" = 1 ] && SHAPE=${FAKE_SHAPE:-tiny}
RUNS=${RUNS:-3}
OUTDIR=${OUTDIR:-/tmp/tpl-out}
CARRY=${CARRY:-/tmp/carry}
POOL=${POOL:-20GB}
DEADLINE=${DEADLINE:-$(( $(date +%s) + 1500 ))}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
W=${W:-/tmp/tpl}; MNT=${MNT:-/nvme}; IMG=${IMG:-/tmp/nvme.img}
MODEL=meta-llama/Llama-3.1-8B-Instruct
# The interpreter itself, not a wrapper (a pyenv shim is a shell script): the template forks
# only commands of its own Python.
PY=/opt/torch/.venv/bin/python3; [ -x "$PY" ] || PY=$(python3 -c 'import sys; print(sys.executable)')
TPL=$SRC/integrations/vllm-template
SITE=/tmp/plugin-site:/tmp/sllm-site:/tmp/vsite
export LD_LIBRARY_PATH=/tmp/sllm-site/sllm_store:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
mkdir -p "$W/repo" "$OUTDIR"
step() { echo; echo "=== $(date -u +%H:%M:%S) $*"; }
left() { echo $(( DEADLINE - $(date +%s) )); }
# A step runs only if it can end before the deadline (estimates in seconds, from earlier runs).
fits() { [ "$(left)" -gt "$1" ] || { echo "skipped: $(left) s left, the step needs about $1 s"; return 1; }; }
FAKE=${FAKE:-0}
# Here the folders are on the OS disk and hold no real model: those checks are the GPU's.
IGNORE=""; [ "$FAKE" = 1 ] && IGNORE="--ignore storage,model,runtime"
# Cold: drop the page cache there; here (a shared machine) only restart the store and template.
COLD="--drop-caches"; [ "$FAKE" = 1 ] && COLD="--mode coldstart"
echo "GPU: $GPU_NAME; commit $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?'); $(left) s to the deadline"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null

if [ "$FAKE" != 1 ]; then
  step "install the loader plugin and the prebuilt store (../shared/gpu/sllm-store)"
  "$PY" -m pip install -q --no-build-isolation --no-deps --no-index --target /tmp/plugin-site "$SRC/integrations/vllm-serverless-llm"
  "$PY" -m pip install -q --no-deps --no-index --target /tmp/sllm-site "$CARRY"/serverless_llm_store-0.8.0-*.whl
  cp "$CARRY/libglog.so.0.6.0" /tmp/sllm-site/sllm_store/ && ln -sf libglog.so.0.6.0 /tmp/sllm-site/sllm_store/libglog.so.1
  echo "exit $?"
  step "disk: ext4 on a loop device (the store reads with O_DIRECT), fix --mount"
  truncate -s 48G "$IMG"
  LOOP=$(losetup -j "$IMG" | cut -d: -f1 | head -1)
  [ -n "$LOOP" ] || LOOP=$(losetup -f --show "$IMG")
  printf 'MODEL_FOLDER=%s\nHF_CACHE_FOLDER=%s\nMODEL_NAME=%s\nMEM_POOL_SIZE=%s\nVLLM_BASELINE_PORT=8001\nVLLM_FASTSTART_PORT=8002\n' \
    "$MNT/sllm-models" "$MNT/hf-cache" "$MODEL" "$POOL" > "$W/repo/.env"
  chmod 600 "$W/repo/.env"
  "$BIN" fix --root "$W/repo" --mount "$MNT" --device "$LOOP" --format --yes > "$OUTDIR/fix.log" 2>&1; echo "exit $?"
else
  mkdir -p "$MNT/sllm-models" "$MNT/hf-cache"
  printf 'MODEL_FOLDER=%s\nHF_CACHE_FOLDER=%s\nMODEL_NAME=%s\n' "$MNT/sllm-models" "$MNT/hf-cache" "$MODEL" > "$W/repo/.env"
  chmod 600 "$W/repo/.env"
fi

step "synth-model --shape $SHAPE"
"$BIN" synth-model --shape "$SHAPE" --hf-home "$MNT/hf-cache" --repo "$MODEL"; echo "exit $?"
SNAP=$(ls -d "$MNT/hf-cache/hub/models--meta-llama--Llama-3.1-8B-Instruct/snapshots/"* | head -1)
STORE_DIR="$MNT/sllm-models/vllm/$MODEL"
mkdir -p "$MNT/vllm-cache" /tmp/pyc

step "convert to the store format; start the store (pool $POOL)"
if [ "$FAKE" = 1 ]; then
  mkdir -p "$STORE_DIR/rank_0" && cp "$SNAP"/*.json "$STORE_DIR/"
  head -c 4096 /dev/urandom > "$STORE_DIR/rank_0/tensor.data_0"
  echo '{"w": [0, 4096, [2048], [1], "torch.bfloat16"]}' > "$STORE_DIR/rank_0/tensor_index.json"
  STORE_CMD="[bash, $SRC/lab/gpu/fake-store.sh]"
  bash "$SRC/lab/gpu/fake-store.sh"
else
  case "$STORE_DIR" in "$MNT"/sllm-models/vllm/?*) rm -rf "$STORE_DIR" ;; esac
  PYTHONPATH=$SITE "$PY" -m vllm_serverless_llm.convert --model "$SNAP" --storage-path "$MNT/sllm-models" --name "$MODEL" > "$OUTDIR/convert.log" 2>&1
  echo "convert exit $?"; tail -2 "$OUTDIR/convert.log"
  STORE_CMD="[env, STORAGE=$MNT/sllm-models, POOL=$POOL, LOG=$OUTDIR/sllm-store.log, bash, $SRC/lab/gpu/sllm-store.sh, restart]"
  STORAGE=$MNT/sllm-models POOL=$POOL LOG=$OUTDIR/sllm-store.log bash "$SRC/lab/gpu/sllm-store.sh" start; echo "store exit $?"
fi

# What every server gets; the best knobs add fork, bytecode (kept apart under /tmp/pyc, so the
# as-given bench never reads it) and no torch.compile with decode graphs for batch 1-8.
BASE_ENV="PYTHONPATH: '$SITE:$SRC/scripts', LD_LIBRARY_PATH: '$LD_LIBRARY_PATH', VLLM_USE_FLASHINFER_SAMPLER: '0', VLLM_CACHE_ROOT: $MNT/vllm-cache, HF_HOME: $MNT/hf-cache, SLLM_STORAGE_PATH: $MNT/sllm-models"
BEST_ENV="$BASE_ENV, VLLM_WORKER_MULTIPROC_METHOD: fork, PYTHONDONTWRITEBYTECODE: '', PYTHONPYCACHEPREFIX: /tmp/pyc"
NOCOMPILE='{"mode": 0, "cudagraph_mode": "FULL_DECODE_ONLY", "cudagraph_capture_sizes": [1, 2, 4, 8]}'
if [ "$FAKE" = 1 ]; then
  # The stand-in's import cost, as vLLM's (in kind): what the template pays once.
  BASE_ENV="$BASE_ENV, FAKE_VLLM_IMPORT_DELAY: '3'"; BEST_ENV="$BEST_ENV, FAKE_VLLM_IMPORT_DELAY: '3'"
  serve() { echo "[$PY, $SRC/Tests/Standins/fake_vllm.py, $3, --served-model-name, $MODEL, --port, '$1', --ready-delay, '1.5', --load-format, $2${4:+, --compilation-config, '$4'}]"; }
  PRELOAD_FULL="[fake_vllm_imports]"; PRELOAD_SAFE="[fake_vllm_imports]"; WATCH="[fake_vllm_imports]"
else
  serve() { echo "[$PY, -m, vllm.entrypoints.cli.main, serve, $3, --served-model-name, $MODEL, --port, '$1', --load-format, $2, --max-model-len, '4096', --gpu-memory-utilization, '0.85'${4:+, --compilation-config, '$4'}]"; }
  PRELOAD_FULL=""; WATCH=""
  # Without the engine-side modules, should one of them touch CUDA at import on this machine.
  PRELOAD_SAFE="[torch, vllm.entrypoints.cli.main, vllm.entrypoints.cli.openai, vllm.entrypoints.cli.serve, vllm.entrypoints.openai.api_server, vllm.v1.engine.core]"
fi
st() { serve "$1" safetensors "$SNAP" "${2:-}"; }
sl() { serve "$1" serverless_llm "$STORE_DIR" "${2:-}"; }

step "the template alone: imports, what it holds, whether CUDA stays off (writes the bytecode too)"
SOCK=/tmp/tpl-sock/template.sock; mkdir -p -m 700 /tmp/tpl-sock
tpl_env() { env PYTHONPATH="$TPL:$SITE:$SRC/scripts" VLLM_USE_FLASHINFER_SAMPLER=0 VLLM_CACHE_ROOT=$MNT/vllm-cache HF_HOME=$MNT/hf-cache \
  SLLM_STORAGE_PATH=$MNT/sllm-models VLLM_WORKER_MULTIPROC_METHOD=fork PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX=/tmp/pyc \
  HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ${FAKE_DELAY:+FAKE_VLLM_IMPORT_DELAY=$FAKE_DELAY} "$@"; }
[ "$FAKE" = 1 ] && FAKE_DELAY=3
start_template() {  # $1: preload list as --preload args
  tpl_env "$PY" -m vllm_template serve --socket "$SOCK" $1 > "$OUTDIR/template-standalone.log" 2>&1 &
  TPL_PID=$!
  for _ in $(seq 600); do grep -q "ready" "$OUTDIR/template-standalone.log" 2>/dev/null && return 0; kill -0 $TPL_PID 2>/dev/null || return 1; sleep 0.2; done; return 1
}
PRELOAD_ARGS=""; [ "$FAKE" = 1 ] && PRELOAD_ARGS="--preload fake_vllm_imports --watch fake_vllm_imports"
T0=$(date +%s%N)
if start_template "$PRELOAD_ARGS"; then
  PRELOAD_PLAN=$PRELOAD_FULL
else
  echo "the full preload list was refused:"; tail -3 "$OUTDIR/template-standalone.log"
  PRELOAD_ARGS=$(echo "$PRELOAD_SAFE" | tr -d '[],' | sed 's/[^ ][^ ]*/--preload &/g')
  start_template "$PRELOAD_ARGS" || { echo "the template could not start:"; tail -5 "$OUTDIR/template-standalone.log"; }
  PRELOAD_PLAN=$PRELOAD_SAFE
fi
echo "template ready after $(( ($(date +%s%N) - T0) / 1000000 )) ms (first start: writes bytecode)"
tpl_env "$PY" -m vllm_template status --socket "$SOCK" | tee "$OUTDIR/template-status.txt"
"$BIN" startup --template-socket "$SOCK" --template-python "$PY" --template-path "$TPL" > "$OUTDIR/startup-template.txt" 2>&1; tail -12 "$OUTDIR/startup-template.txt"
tpl_env "$PY" -m vllm_template stop --socket "$SOCK"; wait $TPL_PID 2>/dev/null

tpl_section() {
  echo "template:"
  echo "  pythonpath: $TPL"
  [ -n "$PRELOAD_PLAN" ] && echo "  preload: $PRELOAD_PLAN"
  [ -n "$WATCH" ] && echo "  watch: $WATCH"
}
variant() {  # name port command env [extra lines]
  echo "  - name: $1"; echo "    port: $2"; echo "    command: $3"; echo "    env: {$4}"; shift 4
  for l in "$@"; do echo "    $l"; done
}
{
  echo "model: $MODEL"; echo "ready_timeout_s: 600"; echo "stop_grace_s: 30"; tpl_section; echo "variants:"
  variant safetensors-best 8001 "$(st 8001 "$NOCOMPILE")" "$BEST_ENV"
  variant serverless_llm-best 8002 "$(sl 8002 "$NOCOMPILE")" "$BEST_ENV" "serverless_llm: true" "store_restart: $STORE_CMD"
  variant safetensors-template 8003 "$(st 8003 "$NOCOMPILE")" "$BEST_ENV" "template: true"
  variant serverless_llm-template 8004 "$(sl 8004 "$NOCOMPILE")" "$BEST_ENV" "template: true" "serverless_llm: true" "store_restart: $STORE_CMD"
  variant serverless_llm-template-kv 8005 "$(sl 8005 "$NOCOMPILE")" "$BEST_ENV" "template: true" "kv_cache_from_log: true" "serverless_llm: true" "store_restart: $STORE_CMD"
} > "$W/plan-best.yaml"
{
  echo "model: $MODEL"; echo "ready_timeout_s: 600"; echo "stop_grace_s: 30"; echo "variants:"
  variant safetensors 8001 "$(st 8001)" "$BASE_ENV"
} > "$W/plan-given.yaml"
{
  echo "model: $MODEL"; echo "ready_timeout_s: 600"; echo "stop_grace_s: 30"; tpl_section; echo "variants:"
  variant safetensors-best 8001 "$(st 8001 "$NOCOMPILE")" "$BEST_ENV"
  variant serverless_llm-template 8004 "$(sl 8004 "$NOCOMPILE")" "$BEST_ENV" "template: true" "serverless_llm: true" "store_restart: $STORE_CMD"
} > "$W/plan-cold.yaml"
cp "$W"/plan-*.yaml "$OUTDIR/"

step "A: warm, $RUNS runs: best knobs, with and without the template"
if fits 400; then
  "$BIN" bench --root "$W/repo" --plan "$W/plan-best.yaml" --runs "$RUNS" --offline $IGNORE \
    --note "$GPU_NAME $SHAPE synthetic weights, warm page cache, store pool warm; best knobs = fork + bytecode + no-compile" 2>&1 | tail -80; echo "exit ${PIPESTATUS[0]}"
fi

step "B: warm, $RUNS runs: vLLM as given"
if fits 330; then
  "$BIN" bench --root "$W/repo" --plan "$W/plan-given.yaml" --runs "$RUNS" --offline $IGNORE \
    --note "$GPU_NAME $SHAPE synthetic weights, warm page cache, vLLM as given" 2>&1 | tail -40; echo "exit ${PIPESTATUS[0]}"
fi

step "C: TTFT probe of the best configuration, forked from the template (the user's restart command)"
if fits 100; then
  FAKE_DELAY=${FAKE_DELAY:-}
  start_template "$PRELOAD_ARGS" && echo "template up"
  if [ "$FAKE" = 1 ]; then
    CMD="$PY $SRC/Tests/Standins/fake_vllm.py $STORE_DIR --served-model-name $MODEL --port 8004 --ready-delay 1.5 --load-format serverless_llm --compilation-config '$NOCOMPILE'"
  else
    CMD="$PY -m vllm.entrypoints.cli.main serve $STORE_DIR --served-model-name $MODEL --port 8004 --load-format serverless_llm --max-model-len 4096 --gpu-memory-utilization 0.85 --compilation-config '$NOCOMPILE'"
  fi
  tpl_env "$BIN" probe --url http://127.0.0.1:8004 --restart "$PY -m vllm_template run --socket $SOCK -- $CMD" \
    --out "$OUTDIR/ttft-probe.md" 2>&1 | tail -25; echo "exit $?"
  tpl_env "$PY" -m vllm_template stop --socket "$SOCK"; wait $TPL_PID 2>/dev/null
fi

step "D: cold, $RUNS runs: page cache dropped, store and template restarted before each run"
if fits 300; then
  "$BIN" bench --root "$W/repo" --plan "$W/plan-cold.yaml" --runs "$RUNS" $COLD --offline $IGNORE \
    --note "$GPU_NAME $SHAPE synthetic weights, page cache dropped, store and template restarted" 2>&1 | tail -40; echo "exit ${PIPESTATUS[0]}"
fi

step "collect"
tar -C "$W/repo" -czf "$OUTDIR/benchmarks.tgz" benchmarks
ls -la "$OUTDIR"
step "done ($(left) s left to the deadline)"
