#!/usr/bin/env bash
# After the explore: the combination the tool's 3 % rule picks (bytecode + graphs-1-8 +
# in-process) against bytecode + graphs-1-8 alone, 3 runs each (run 1 of each pays its compile
# key and bytecode writes). Same set-up as h100-explore.sh; FAKE=1 SHAPE=tiny rehearses it here.
set -u
GPU_NAME=$(bash "$(dirname "$0")/gpu-name.sh")
BIN=${BIN:-/tmp/sllm-doctor}
SHAPE=${SHAPE:-llama-3.1-8b}
RUNS=${RUNS:-3}
OUTDIR=${OUTDIR:-/tmp/h100-out}
REPO_SRC=$(cd "$(dirname "$0")/../.." && pwd)
W=${W:-/tmp/combo}; D=$W/disk
MODEL=meta-llama/Llama-3.1-8B-Instruct
mkdir -p "$W/repo" "$D/hf-cache" "$D/sllm-models" "$D/vllm-cache" "$OUTDIR"
step() { echo; echo "=== $(date -u +%H:%M:%S) $*"; }
PY=/opt/torch/.venv/bin/python3; [ -x "$PY" ] || PY=python3
export PYTHONPATH=${PYTHONPATH:-/tmp/vsite}
printf 'MODEL_FOLDER=%s\nHF_CACHE_FOLDER=%s\nMODEL_NAME=%s\nVLLM_BASELINE_PORT=8001\nVLLM_FASTSTART_PORT=8002\n' \
  "$D/sllm-models" "$D/hf-cache" "$MODEL" > "$W/repo/.env"; chmod 600 "$W/repo/.env"
step "synth-model --shape $SHAPE"
"$BIN" synth-model --shape "$SHAPE" --hf-home "$D/hf-cache" --repo "$MODEL"; echo "exit $?"
SNAP=$(ls -d "$D/hf-cache/hub/models--meta-llama--Llama-3.1-8B-Instruct/snapshots/"* | head -1)
GRAPHS="'--compilation-config', '{\"cudagraph_capture_sizes\": [1, 2, 4, 8]}'"
if [ "${FAKE:-0}" = 1 ]; then
  CMD="[$PY, $REPO_SRC/Tests/Standins/fake_vllm.py, $SNAP, --served-model-name, $MODEL, --port, '8001', --ready-delay, '1.5', $GRAPHS]"
else
  CMD="[$PY, -m, vllm.entrypoints.cli.main, serve, $SNAP, --served-model-name, $MODEL, --port, '8001', --max-model-len, '4096', --gpu-memory-utilization, '0.85', $GRAPHS]"
fi
ENV="PYTHONPATH: '$PYTHONPATH', VLLM_USE_FLASHINFER_SAMPLER: '0', VLLM_CACHE_ROOT: '$D/vllm-cache', HF_HOME: '$D/hf-cache', PYTHONDONTWRITEBYTECODE: ''"
cat > "$W/plan.yaml" <<EOF
model: $MODEL
ready_timeout_s: 600
variants:
  - name: bytecode-graphs
    port: 8001
    command: $CMD
    env: {$ENV}
  - name: bytecode-graphs-inprocess
    port: 8001
    command: $CMD
    env: {$ENV, VLLM_ENABLE_V1_MULTIPROCESSING: '0'}
EOF
cp "$W/plan.yaml" "$OUTDIR/combo-plan.yaml"
step "bench: $RUNS runs each, --offline (run 1 of each pays the compile key and the bytecode writes)"
"$BIN" bench --root "$W/repo" --plan "$W/plan.yaml" --runs "$RUNS" --offline --ignore storage,model.store,model.store-server,runtime \
  --note "$GPU_NAME $SHAPE: the tool's combination against bytecode + graphs" 2>&1 | tail -60; echo "exit $?"
cp "$(ls -t "$W/repo/benchmarks/results/"restart_*.json | head -1)" "$OUTDIR/combo.json"
step "done"
