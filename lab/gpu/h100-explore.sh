#!/usr/bin/env bash
# The start-up doctor on a bare GPU box (the lent H100), by the tool alone:
#   synth-model (Llama-3.1-8B shape) → startup (imports, compile cache, weight floor) →
#   a first start (cold compile cache, no bytecode yet) → bench --explore → startup against it.
# Rehearse here with FAKE=1 SHAPE=tiny: the same steps against Tests/Standins/fake_vllm.py.
#   BIN      sllm-doctor binary              (default /tmp/sllm-doctor)
#   SHAPE    synth-model shape               (default llama-3.1-8b)
#   RUNS     runs per knob                   (default 1)
#   KNOBS    explore's knobs                 (default in-process,eager,graphs-1-8,fastsafetensors,sleep-wake)
#   BASE     the reference: plain (vLLM as given) or tuned (bytecode kept + CUDA graphs for
#            batch sizes 1,2,4,8: the best of the earlier sessions, to explore from there)
#            or nocompile (bytecode kept + the no-compile knob's flags)
#   STARTUP_BEFORE=0  skip the startup report before the first start
#   FAKE=1   the loopback stand-in instead of vLLM
#   OUTDIR   where results are collected     (default /tmp/h100-out)
# Long: start it detached (setsid ... > log 2>&1 &) and read the log in later calls.
set -u
GPU_NAME=$(bash "$(dirname "$0")/gpu-name.sh")
BIN=${BIN:-/tmp/sllm-doctor}
SHAPE=${SHAPE:-llama-3.1-8b}
RUNS=${RUNS:-1}
# compile-cold and runai_streamer are left out by default on the H100: the reference's
# warm-up is the cold-compile start, and the 30-minute lease holds about this many starts.
KNOBS=${KNOBS:-bytecode,in-process,eager,graphs-1-8,fastsafetensors,sleep-wake}
OUTDIR=${OUTDIR:-/tmp/h100-out}
REPO_SRC=$(cd "$(dirname "$0")/../.." && pwd)
W=${W:-/tmp/explore}; D=$W/disk
MODEL=meta-llama/Llama-3.1-8B-Instruct
mkdir -p "$W/repo" "$D/hf-cache" "$D/sllm-models" "$D/vllm-cache" "$OUTDIR"
step() { echo; echo "=== $(date -u +%H:%M:%S) $*"; }
PY=/opt/torch/.venv/bin/python3; [ -x "$PY" ] || PY=python3
export PYTHONPATH=${PYTHONPATH:-/tmp/vsite} VLLM_USE_FLASHINFER_SAMPLER=0 VLLM_CACHE_ROOT=$D/vllm-cache HF_HOME=$D/hf-cache

cat > "$W/repo/.env" <<EOF
MODEL_FOLDER=$D/sllm-models
HF_CACHE_FOLDER=$D/hf-cache
MODEL_NAME=$MODEL
VLLM_BASELINE_PORT=8001
VLLM_FASTSTART_PORT=8002
EOF
chmod 600 "$W/repo/.env"

step "synth-model --shape $SHAPE"
[ -d "$D/hf-cache/hub/models--meta-llama--Llama-3.1-8B-Instruct/snapshots" ] || { "$BIN" synth-model --shape "$SHAPE" --hf-home "$D/hf-cache" --repo "$MODEL"; echo "exit $?"; }
SNAP=$(ls -d "$D/hf-cache/hub/models--meta-llama--Llama-3.1-8B-Instruct/snapshots/"* | head -1)

if [ "${FAKE:-0}" = 1 ]; then
  CMD="[$PY, $REPO_SRC/Tests/Standins/fake_vllm.py, $SNAP, --served-model-name, $MODEL, --port, '8001', --ready-delay, '2.0', --token-delay, '0.003']"
  ENTRY=json
else
  CMD="[$PY, -m, vllm.entrypoints.cli.main, serve, $SNAP, --served-model-name, $MODEL, --port, '8001', --max-model-len, '4096', --gpu-memory-utilization, '0.85']"
  ENTRY=vllm.entrypoints.cli.main
fi
NAME=safetensors; EXTRA_ENV=""
if [ "${BASE:-plain}" = tuned ]; then
  NAME=tuned; EXTRA_ENV=", PYTHONDONTWRITEBYTECODE: ''"
  CMD="${CMD%]}, --compilation-config, '{\"cudagraph_capture_sizes\": [1, 2, 4, 8]}']"
elif [ "${BASE:-plain}" = nocompile ]; then
  NAME=bytecode-nocompile; EXTRA_ENV=", PYTHONDONTWRITEBYTECODE: ''"
  CMD="${CMD%]}, --compilation-config, '{\"mode\": 0, \"cudagraph_mode\": \"FULL_DECODE_ONLY\", \"cudagraph_capture_sizes\": [1, 2, 4, 8]}']"
fi
cat > "$W/plan.yaml" <<EOF
model: $MODEL
ready_timeout_s: 600
stop_grace_s: 30
variants:
  - name: $NAME
    port: 8001
    command: $CMD
    env: {PYTHONPATH: '$PYTHONPATH', VLLM_USE_FLASHINFER_SAMPLER: '0', VLLM_CACHE_ROOT: '$D/vllm-cache', HF_HOME: '$D/hf-cache'$EXTRA_ENV}
EOF
cp "$W/plan.yaml" "$OUTDIR/"
IGN=storage,model.store,model.store-server,runtime

if [ "${STARTUP_BEFORE:-1}" = 1 ]; then
  step "startup: imports, compile cache, weight floor (before any server start)"
  "$BIN" startup --python "$PY" --module "$ENTRY" --model "$SNAP" --json > "$OUTDIR/startup-before.json"
  [ "${SKIP_STARTUP_TEXT:-0}" = 1 ] || "$BIN" startup --model "$SNAP" | tee "$OUTDIR/startup-before.txt"
fi

step "bench --explore (knobs: $KNOBS), $RUNS run(s) each, --offline; the reference's uncounted warm-up is this machine's first start"
"$BIN" bench --root "$W/repo" --plan "$W/plan.yaml" --runs "$RUNS" --explore --knobs "$KNOBS" --offline --ignore "$IGN" \
  --note "$GPU_NAME $SHAPE synthetic weights, warm page cache"; echo "exit $?"
RES=$(ls -t "$W/repo/benchmarks/results/"restart_*.json | head -1)

step "startup against the explore results (imports now with the bytecode the starts kept)"
PYTHONDONTWRITEBYTECODE= "$BIN" startup --python "$PY" --module "$ENTRY" --model "$SNAP" --results "$RES" | tee "$OUTDIR/startup-after.txt"

step "collect"
cp "$RES" "$OUTDIR/explore.json"
cp "${RES%.json}_explore.svg" "$OUTDIR/explore.svg"
cp "$W/repo/benchmarks/README.md" "$OUTDIR/README-benchmarks.md"
tar -C "$W/repo" --exclude='*.svg' -czf "$OUTDIR/logs.tgz" benchmarks
ls -la "$OUTDIR"
step "done"
