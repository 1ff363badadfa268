#!/usr/bin/env bash
# Restart in 3 s (issue 31): what the best warm restart does with each 100 ms, and the first
# knobs that take time out, each measured with the decode and TTFT probe. On the lent H200:
#   A  warm, RUNS runs (after one uncounted run each): serverless_llm forked from the template
#      with an 8 GiB KV cache (the best of 2026-12-02), the same with the fork's garbage
#      collector frozen (VLLM_TEMPLATE_GC_FREEZE=1), and that with full CUDA graphs up to 64
#      tokens (small prefills replayed, not eager: the TTFT knob);
#   S  2 runs each of the first two with stack samples (VLLM_TEMPLATE_STACKS): every 100 ms
#      of the main threads named (python -m vllm_template.sampler report);
#   P  the TTFT/decode probe (512 tokens, cold_1, warm_1, warm x5) of A's 2nd and 3rd variants;
#   G  vLLM as given: the same probe, then RUNS_GIVEN warm restarts if the deadline leaves time.
# Second round (STEPS="W C T"), from what S showed: W one uncounted start (kernel caches on disk);
#   C  warm, RUNS runs: full graphs + gc frozen, with triton's cache key computed in the template
#      (inherited) or again in each fork (VLLM_TEMPLATE_TRITON_KEY=recompute, the control), a
#      2 GiB KV cache, and the engine in the API server's process;
#   T  stack samples (2 runs) and the TTFT/decode probe of the 2 GiB variant.
# Expects vLLM in /tmp/vsite (../shared/gpu/README.md), the store wheel and libglog in CARRY and
# the sllm-doctor binary at BIN. Rehearse here (the loopback stand-in, no GPU):
#   FAKE=1 BIN=.build/debug/sllm-doctor W=/tmp/r3 OUTDIR=/tmp/r3-out lab/gpu/h200-restart3.sh
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
GPU_NAME=$(bash "$SRC/lab/gpu/gpu-name.sh")
BIN=${BIN:-/tmp/sllm-doctor}
FAKE=${FAKE:-0}
SHAPE=llama-3.1-8b; [ "$FAKE" = 1 ] && SHAPE=tiny
RUNS=${RUNS:-5}; RUNS_GIVEN=${RUNS_GIVEN:-5}
OUTDIR=${OUTDIR:-/tmp/r3-out}; CARRY=${CARRY:-/tmp/carry}; POOL=${POOL:-20GB}
DEADLINE=${DEADLINE:-$(( $(date +%s) + 1200 ))}
W=${W:-/tmp/r3}; MNT=${MNT:-/nvme}; IMG=${IMG:-/tmp/nvme.img}
[ "$FAKE" = 1 ] && MNT=$W/nvme
MODEL=meta-llama/Llama-3.1-8B-Instruct
PY=/opt/torch/.venv/bin/python3; [ -x "$PY" ] || PY=$(python3 -c 'import sys; print(sys.executable)')
TPL=$SRC/integrations/vllm-template
SITE=/tmp/plugin-site:/tmp/sllm-site:/tmp/vsite
[ "$FAKE" = 1 ] && SITE=$SITE:$SRC/Tests/Standins   # the stand-in's import module
export LD_LIBRARY_PATH=/tmp/sllm-site/sllm_store:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
mkdir -p "$W/repo" "$OUTDIR"
step() { echo; echo "=== $(date -u +%H:%M:%S) $*"; }
left() { echo $(( DEADLINE - $(date +%s) )); }
fits() { [ "$(left)" -gt "$1" ] || { echo "skipped: $(left) s left, the step needs about $1 s"; return 1; }; }
STEPS=${STEPS:-A S P G}
want() { case " $STEPS " in *" $1 "*) return 0 ;; esac; echo "step $1 not asked for (STEPS=$STEPS)"; return 1; }
IGNORE=""; [ "$FAKE" = 1 ] && IGNORE="--ignore storage,model,runtime"
echo "GPU: $GPU_NAME; commit $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?'); $(left) s to the deadline"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null

if [ "$FAKE" != 1 ]; then
  step "install the loader plugin and the prebuilt store"
  "$PY" -m pip install -q --no-build-isolation --no-deps --no-index --target /tmp/plugin-site "$SRC/integrations/vllm-serverless-llm"
  "$PY" -m pip install -q --no-deps --no-index --target /tmp/sllm-site "$CARRY"/serverless_llm_store-0.8.0-*.whl
  cp "$CARRY/libglog.so.0.6.0" /tmp/sllm-site/sllm_store/ && ln -sf libglog.so.0.6.0 /tmp/sllm-site/sllm_store/libglog.so.1
  step "disk: ext4 on a loop device, fix --mount"
  truncate -s 48G "$IMG"
  LOOP=$(losetup -j "$IMG" | cut -d: -f1 | head -1); [ -n "$LOOP" ] || LOOP=$(losetup -f --show "$IMG")
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
"$BIN" synth-model --shape "$SHAPE" --hf-home "$MNT/hf-cache" --repo "$MODEL" | tail -1
SNAP=$(ls -d "$MNT/hf-cache/hub/models--meta-llama--Llama-3.1-8B-Instruct/snapshots/"* | head -1)
STORE_DIR="$MNT/sllm-models/vllm/$MODEL"
mkdir -p "$MNT/vllm-cache" /tmp/pyc

step "convert to the store format; start the store (pool $POOL)"
if [ "$FAKE" = 1 ]; then
  mkdir -p "$STORE_DIR/rank_0" && cp "$SNAP"/*.json "$STORE_DIR/"
  head -c 4096 /dev/urandom > "$STORE_DIR/rank_0/tensor.data_0"
  echo '{"w": [0, 4096, [2048], [1], "torch.bfloat16"]}' > "$STORE_DIR/rank_0/tensor_index.json"
else
  case "$STORE_DIR" in "$MNT"/sllm-models/vllm/?*) rm -rf "$STORE_DIR" ;; esac
  PYTHONPATH=$SITE "$PY" -m vllm_serverless_llm.convert --model "$SNAP" --storage-path "$MNT/sllm-models" --name "$MODEL" > "$OUTDIR/convert.log" 2>&1
  echo "convert exit $?"; tail -1 "$OUTDIR/convert.log"
  STORAGE=$MNT/sllm-models POOL=$POOL LOG=$OUTDIR/sllm-store.log bash "$SRC/lab/gpu/sllm-store.sh" start; echo "store exit $?"
fi

BASE_ENV="PYTHONPATH: '$SITE:$SRC/scripts', LD_LIBRARY_PATH: '$LD_LIBRARY_PATH', VLLM_USE_FLASHINFER_SAMPLER: '0', VLLM_CACHE_ROOT: $MNT/vllm-cache, HF_HOME: $MNT/hf-cache, SLLM_STORAGE_PATH: $MNT/sllm-models"
BEST_ENV="$BASE_ENV, VLLM_WORKER_MULTIPROC_METHOD: fork, PYTHONDONTWRITEBYTECODE: '', PYTHONPYCACHEPREFIX: /tmp/pyc"
GC_ENV="$BEST_ENV, VLLM_TEMPLATE_GC_FREEZE: '1'"
DECODE_GRAPHS='{"mode": 0, "cudagraph_mode": "FULL_DECODE_ONLY", "cudagraph_capture_sizes": [1, 2, 4, 8]}'
FULL_GRAPHS='{"mode": 0, "cudagraph_mode": "FULL", "cudagraph_capture_sizes": [1, 2, 4, 8, 16, 32, 64]}'
KV=8589934592
if [ "$FAKE" = 1 ]; then
  BASE_ENV="$BASE_ENV, FAKE_VLLM_IMPORT_DELAY: '3'"; BEST_ENV="$BEST_ENV, FAKE_VLLM_IMPORT_DELAY: '3'"; GC_ENV="$GC_ENV, FAKE_VLLM_IMPORT_DELAY: '3'"
  serve() { echo "[$PY, $SRC/Tests/Standins/fake_vllm.py, $3, --served-model-name, $MODEL, --port, '$1', --ready-delay, '1.5', --load-format, $2${4:+, --compilation-config, '$4'}${5:+, --kv-cache-memory-bytes, '$5'}]"; }
  serve_sh() { echo "$PY $SRC/Tests/Standins/fake_vllm.py $3 --served-model-name $MODEL --port $1 --ready-delay 1.5 --load-format $2${4:+ --compilation-config '$4'}${5:+ --kv-cache-memory-bytes $5}"; }
  TPL_SECTION="template:
  pythonpath: $TPL
  preload: [fake_vllm_imports]
  watch: [fake_vllm_imports]"
else
  serve() { echo "[$PY, -m, vllm.entrypoints.cli.main, serve, $3, --served-model-name, $MODEL, --port, '$1', --load-format, $2, --max-model-len, '4096', --gpu-memory-utilization, '0.85'${4:+, --compilation-config, '$4'}${5:+, --kv-cache-memory-bytes, '$5'}]"; }
  serve_sh() { echo "$PY -m vllm.entrypoints.cli.main serve $3 --served-model-name $MODEL --port $1 --load-format $2 --max-model-len 4096 --gpu-memory-utilization 0.85${4:+ --compilation-config '$4'}${5:+ --kv-cache-memory-bytes $5}"; }
  TPL_SECTION="template:
  pythonpath: $TPL"
fi
variant() {  # name port command env [extra lines]
  echo "  - name: $1"; echo "    port: $2"; echo "    command: $3"; echo "    env: {$4}"; shift 4
  for l in "$@"; do echo "    $l"; done
}
head_() { echo "model: $MODEL"; echo "ready_timeout_s: 600"; echo "stop_grace_s: 30"; echo "${1:-}"; echo "$TPL_SECTION"; echo "variants:"; }
{
  head_ "warmup_runs: 1"
  variant tpl-kv8g 8003 "$(serve 8003 serverless_llm "$STORE_DIR" "$DECODE_GRAPHS" $KV)" "$BEST_ENV" "template: true" "serverless_llm: true"
  variant tpl-kv8g-gcfreeze 8004 "$(serve 8004 serverless_llm "$STORE_DIR" "$DECODE_GRAPHS" $KV)" "$GC_ENV" "template: true" "serverless_llm: true"
  variant tpl-kv8g-gcfreeze-fullgraphs 8005 "$(serve 8005 serverless_llm "$STORE_DIR" "$FULL_GRAPHS" $KV)" "$GC_ENV" "template: true" "serverless_llm: true"
} > "$W/plan-a.yaml"
{
  head_
  variant tpl-kv8g-sampled 8003 "$(serve 8003 serverless_llm "$STORE_DIR" "$DECODE_GRAPHS" $KV)" "$BEST_ENV, VLLM_TEMPLATE_STACKS: $OUTDIR/stacks-tpl-kv8g" "template: true" "serverless_llm: true"
  variant tpl-kv8g-gcfreeze-sampled 8004 "$(serve 8004 serverless_llm "$STORE_DIR" "$DECODE_GRAPHS" $KV)" "$GC_ENV, VLLM_TEMPLATE_STACKS: $OUTDIR/stacks-tpl-kv8g-gcfreeze" "template: true" "serverless_llm: true"
} > "$W/plan-s.yaml"
{
  echo "model: $MODEL"; echo "ready_timeout_s: 600"; echo "stop_grace_s: 30"; echo "variants:"
  variant safetensors 8001 "$(serve 8001 safetensors "$SNAP")" "$BASE_ENV"
} > "$W/plan-given.yaml"
KV2=2147483648
{
  head_
  variant warm-once 8009 "$(serve 8009 serverless_llm "$STORE_DIR" "$FULL_GRAPHS" $KV)" "$GC_ENV" "template: true" "serverless_llm: true"
} > "$W/plan-w.yaml"
{
  head_
  variant gc-full-kv8g-triton-recomputed 8003 "$(serve 8003 serverless_llm "$STORE_DIR" "$FULL_GRAPHS" $KV)" "$GC_ENV, VLLM_TEMPLATE_TRITON_KEY: recompute" "template: true" "serverless_llm: true"
  variant gc-full-kv8g 8004 "$(serve 8004 serverless_llm "$STORE_DIR" "$FULL_GRAPHS" $KV)" "$GC_ENV" "template: true" "serverless_llm: true"
  variant gc-full-kv2g 8005 "$(serve 8005 serverless_llm "$STORE_DIR" "$FULL_GRAPHS" $KV2)" "$GC_ENV" "template: true" "serverless_llm: true"
  variant gc-full-kv2g-inproc 8006 "$(serve 8006 serverless_llm "$STORE_DIR" "$FULL_GRAPHS" $KV2)" "$GC_ENV, VLLM_ENABLE_V1_MULTIPROCESSING: '0'" "template: true" "serverless_llm: true"
} > "$W/plan-c.yaml"
{
  head_
  variant gc-full-kv2g-sampled 8005 "$(serve 8005 serverless_llm "$STORE_DIR" "$FULL_GRAPHS" $KV2)" "$GC_ENV, VLLM_TEMPLATE_STACKS: $OUTDIR/stacks-gc-full-kv2g" "template: true" "serverless_llm: true"
} > "$W/plan-t.yaml"
cp "$W"/plan-*.yaml "$OUTDIR/"

if want W && fits 60; then
  step "W: one uncounted start (kernel caches on disk)"
  "$BIN" bench --root "$W/repo" --plan "$W/plan-w.yaml" --runs 1 --offline $IGNORE --results-dir "$W/warm-once" --note "warm-up, not a result" > "$OUTDIR/warm-once.log" 2>&1
  echo "exit $?"; grep -m1 "template\]" "$OUTDIR/warm-once.log"
fi
if want C && fits 200; then
  step "C: warm, $RUNS runs each: triton key inherited or recomputed, KV 8 or 2 GiB, engine in-process"
  "$BIN" bench --root "$W/repo" --plan "$W/plan-c.yaml" --runs "$RUNS" --offline $IGNORE \
    --note "$GPU_NAME $SHAPE synthetic weights, warm page cache, store pool warm, template, full CUDA graphs to 64 tokens, gc frozen in the fork; knobs: triton key from the template, KV 2 GiB, engine in-process" 2>&1 | grep -A8 "^| variant"
  echo "exit ${PIPESTATUS[0]}"
fi
if want T && fits 100; then
  step "T: stack samples (2 runs) and the probe of gc-full-kv2g"
  "$BIN" bench --root "$W/repo" --plan "$W/plan-t.yaml" --runs 2 --offline $IGNORE \
    --note "$GPU_NAME $SHAPE synthetic weights, warm, template, full graphs, gc frozen, KV 2 GiB, stack samples every 5 ms (the sampler's own cost included)" 2>&1 | grep -A4 "^| variant"
  PYTHONPATH=$TPL "$PY" -m vllm_template.sampler report "$OUTDIR/stacks-gc-full-kv2g" > "$OUTDIR/stacks-gc-full-kv2g.report.txt"
fi

step "A: warm, $RUNS runs each: the best so far, gc frozen, full graphs"
if want A && fits 300; then
  "$BIN" bench --root "$W/repo" --plan "$W/plan-a.yaml" --runs "$RUNS" --offline $IGNORE \
    --note "$GPU_NAME $SHAPE synthetic weights, warm page cache, store pool warm, template, KV 8 GiB; knobs: gc frozen in the fork, full CUDA graphs to 64 tokens" 2>&1 | tail -60
  echo "exit ${PIPESTATUS[0]}"
fi

step "S: 2 runs each with stack samples"
if want S && fits 120; then
  "$BIN" bench --root "$W/repo" --plan "$W/plan-s.yaml" --runs 2 --offline $IGNORE \
    --note "$GPU_NAME $SHAPE synthetic weights, warm, template, KV 8 GiB, stack samples every 5 ms (the sampler's own cost included)" 2>&1 | tail -20
  echo "exit ${PIPESTATUS[0]}"
  for d in "$OUTDIR"/stacks-*; do [ -d "$d" ] && PYTHONPATH=$TPL "$PY" -m vllm_template.sampler report "$d" > "$d.report.txt"; done
  ls -la "$OUTDIR"/stacks-*
fi

tpl_env() { env PYTHONPATH="$TPL:$SITE:$SRC/scripts" VLLM_USE_FLASHINFER_SAMPLER=0 VLLM_CACHE_ROOT=$MNT/vllm-cache HF_HOME=$MNT/hf-cache \
  SLLM_STORAGE_PATH=$MNT/sllm-models VLLM_WORKER_MULTIPROC_METHOD=fork PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX=/tmp/pyc \
  HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 VLLM_TEMPLATE_GC_FREEZE=1 ${FAKE_DELAY:+FAKE_VLLM_IMPORT_DELAY=$FAKE_DELAY} "$@"; }
[ "$FAKE" = 1 ] && FAKE_DELAY=3
SOCK=/tmp/r3-sock/template.sock; mkdir -p -m 700 /tmp/r3-sock
PRELOAD_ARGS=""; [ "$FAKE" = 1 ] && PRELOAD_ARGS="--preload fake_vllm_imports --watch fake_vllm_imports"
probe_through_template() {  # name port compilation-config
  tpl_env "$BIN" probe --url "http://127.0.0.1:$2" --max-tokens 512 \
    --restart "$PY -m vllm_template run --socket $SOCK -- $(serve_sh "$2" serverless_llm "$STORE_DIR" "$3" $KV)" \
    --out "$OUTDIR/probe-$1.md" 2>&1 | tail -12
}
step "P: TTFT/decode probes (512 tokens) through the template"
if { want P || want T; } && fits 150; then
  tpl_env "$PY" -m vllm_template serve --socket "$SOCK" $PRELOAD_ARGS > "$OUTDIR/template-probe.log" 2>&1 &
  TPL_PID=$!
  for _ in $(seq 600); do grep -q "ready" "$OUTDIR/template-probe.log" 2>/dev/null && break; kill -0 $TPL_PID 2>/dev/null || break; sleep 0.2; done
  if want P; then
    probe_through_template tpl-kv8g-gcfreeze 8004 "$DECODE_GRAPHS"
    probe_through_template tpl-kv8g-gcfreeze-fullgraphs 8005 "$FULL_GRAPHS"
  else
    KV=$KV2 probe_through_template gc-full-kv2g 8005 "$FULL_GRAPHS"
  fi
  tpl_env "$PY" -m vllm_template stop --socket "$SOCK"; wait $TPL_PID 2>/dev/null
fi

step "G: vLLM as given: the probe (first start compiles), then $RUNS_GIVEN warm restarts"
want G || RUNS_GIVEN=0
if want G && fits 200; then
  env PYTHONPATH="$SITE" VLLM_USE_FLASHINFER_SAMPLER=0 VLLM_CACHE_ROOT=$MNT/vllm-cache HF_HOME=$MNT/hf-cache HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    ${FAKE_DELAY:+FAKE_VLLM_IMPORT_DELAY=$FAKE_DELAY} "$BIN" probe --url http://127.0.0.1:8001 --max-tokens 512 \
    --restart "$(serve_sh 8001 safetensors "$SNAP")" --out "$OUTDIR/probe-as-given.md" 2>&1 | tail -12
fi
if want G && fits $(( 90 * RUNS_GIVEN + 30 )); then
  "$BIN" bench --root "$W/repo" --plan "$W/plan-given.yaml" --runs "$RUNS_GIVEN" --offline $IGNORE \
    --note "$GPU_NAME $SHAPE synthetic weights, warm page cache, vLLM as given" 2>&1 | tail -20
  echo "exit ${PIPESTATUS[0]}"
elif want G && fits 200; then
  "$BIN" bench --root "$W/repo" --plan "$W/plan-given.yaml" --runs 2 --offline $IGNORE \
    --note "$GPU_NAME $SHAPE synthetic weights, warm page cache, vLLM as given (2 runs: the deadline)" 2>&1 | tail -20
fi

step "collect"
tar -C "$W/repo" -czf "$OUTDIR/benchmarks.tgz" benchmarks
ls -la "$OUTDIR"
step "done ($(left) s left to the deadline)"
