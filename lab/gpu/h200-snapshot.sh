#!/usr/bin/env bash
# Snapshot restore of an 8B vLLM server on the lent GPU machine (issue 32, item 3):
#   P  the preflight: `check --profile snapshot` on this host, text and JSON;
#   F  a fresh server as given (torch.compile, CUDA graphs; a small KV cache so that the image
#      stays small), its TTFT probe (cold_1, warm_1, warm x5, 512 tokens);
#   C  the image: `vllm_snapshot create` (driver checkpoint, CRIU dump; timed apart);
#   W  bench, RUNS runs: each run restores the image (ready = GET /v1/models 200, then the
#      first completion, as for every restart); the restorer compares a greedy answer with the
#      fresh server's and fails the run if it differs;
#   D  bench, 1 run, page cache dropped before it;
#   T  the TTFT probe through a restore (--restart), for TTFT and decode beside F's.
# Expects vLLM in /tmp/vsite (../shared/gpu/README.md), CRIU in .gpu/criu
# (scripts/fetch-criu.sh .gpu/criu) and the sllm-doctor binary at BIN. Rehearse here:
#   FAKE=1 BIN=.build/debug/sllm-doctor SLLM_CRIU=$(scripts/fetch-criu.sh) lab/gpu/h200-snapshot.sh
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-/tmp/snapshot-out}; mkdir -p "$OUT"
BIN=${BIN:-/tmp/sllm-doctor}
RUNS=${RUNS:-3}
DEADLINE=${DEADLINE:-$(( $(date +%s) + 900 ))}
FAKE=${FAKE:-0}
W=${W:-/tmp/snap}; IMG=$W/image; rm -rf "$W"; mkdir -p "$W/repo" "$IMG"
export SLLM_CRIU=${SLLM_CRIU:-$SRC/.gpu/criu/criu}
PY=/opt/torch/.venv/bin/python3; [ -x "$PY" ] || PY=$(python3 -c 'import sys; print(sys.executable)')
MODEL=meta-llama/Llama-3.1-8B-Instruct
SHAPE=llama-3.1-8b; [ "$FAKE" = 1 ] && SHAPE=tiny
PORT=8001
step() { echo; echo "=== $(date -u +%H:%M:%S) $*"; }
export PYTHONPATH=/tmp/vsite:$SRC/integrations/vllm-snapshot VLLM_USE_FLASHINFER_SAMPLER=0 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export HF_HOME=$W/hf

step "synth-model --shape $SHAPE"
"$BIN" synth-model --shape "$SHAPE" --hf-home "$W/hf" --repo "$MODEL" | tail -2
SNAP=$(ls -d "$W/hf/hub/models--meta-llama--Llama-3.1-8B-Instruct/snapshots/"* | head -1)

step "P: check --profile snapshot"
printf 'MODEL_NAME=%s\nMODEL_FOLDER=%s\nHF_CACHE_FOLDER=%s\nSNAPSHOT_FOLDER=%s\nSNAPSHOT_VLLM_ARGS=--kv-cache-memory-bytes 4294967296\nVLLM_PYTHON=%s\n' \
  "$MODEL" "$W/models" "$W/hf" "$IMG" "$PY" > "$W/repo/.env"
"$BIN" check --root "$W/repo" --profile snapshot --only snapshot -v > "$OUT/preflight.txt" 2>&1; echo "exit $?"
"$BIN" check --root "$W/repo" --profile snapshot --only snapshot --json > "$OUT/preflight.json" 2>&1
cat "$OUT/preflight.txt"

if [ "$FAKE" = 1 ]; then
  SERVE=("$PY" "$SRC/Tests/Standins/fake_vllm.py" "$SNAP" --served-model-name "$MODEL" --port $PORT --ready-delay 2 --engine-child --tokens 600)
else
  SERVE=("$PY" -m vllm.entrypoints.cli.main serve "$SNAP" --served-model-name "$MODEL" --port $PORT
         --max-model-len 4096 --kv-cache-memory-bytes 4294967296)
fi
step "F: a fresh server as given (its own session; output to a file, as the image needs)"
T0=$(date +%s.%N)
ROOT=$("$PY" - "$W/server.log" "${SERVE[@]}" <<'PYEOF'
import subprocess, sys
log = open(sys.argv[1], "w")
p = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                     start_new_session=True, cwd="/tmp")
print(p.pid)
PYEOF
)
echo "server pid $ROOT"
for _ in $(seq 1 3000); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/v1/models" && break
  kill -0 "$ROOT" 2>/dev/null || { echo "the server died:"; tail -30 "$W/server.log"; break; }
  sleep 0.1
done
echo "fresh start to ready: $(python3 -c "import time; print(round(time.time() - $T0, 1))") s"
"$BIN" probe --url "http://127.0.0.1:$PORT" --max-tokens 512 --warm-runs 5 --out "$OUT/ttft-probe-fresh.md" 2>&1 | tail -15
nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader 2>/dev/null

step "C: the image (driver checkpoint + CRIU dump; the server ends)"
"$PY" -m vllm_snapshot create --pid "$ROOT" --image "$IMG" --url "http://127.0.0.1:$PORT" --vllm-version 0.26.0 2>&1 | tee "$OUT/create.jsonl"
for _ in $(seq 100); do kill -0 "$ROOT" 2>/dev/null || break; sleep 0.1; done
du -sh "$IMG"; cp "$IMG/snapshot-image.json" "$OUT/" 2>/dev/null
cp "$W/server.log" "$OUT/fresh-server.log"

step "P again, now that the image and its metadata exist"
"$BIN" check --root "$W/repo" --profile snapshot --only snapshot -v > "$OUT/preflight-with-image.txt" 2>&1; echo "exit $?"
tail -25 "$OUT/preflight-with-image.txt"

cat > "$W/plan.yaml" <<YAML
model: $MODEL
max_tokens: 64
ready_timeout_s: 300
stop_grace_s: 30
variants:
  - name: snapshot-restore
    port: $PORT
    command: [$PY, -m, vllm_snapshot, restore, --image, $IMG, --vllm-version, 0.26.0]
    env: {PYTHONPATH: '$SRC/integrations/vllm-snapshot', SLLM_CRIU: '$SLLM_CRIU'}
YAML
cp "$W/plan.yaml" "$OUT/"
step "W: bench, $RUNS runs, each a restore of the image (page cache warm after the first)"
"$BIN" bench --root "$W/repo" --plan "$W/plan.yaml" --runs "$RUNS" --ignore all \
  --note "lent H200, 8B shape synthetic weights, vLLM 0.26 as given + --kv-cache-memory-bytes 4 GiB, restored from a CRIU image (driver checkpoint API), page cache warm" 2>&1 | tail -30
step "D: bench, 1 run, page cache dropped before it"
DROP="--drop-caches"; [ "$FAKE" = 1 ] && DROP=""
"$BIN" bench --root "$W/repo" --plan "$W/plan.yaml" --runs 1 $DROP --ignore all \
  --note "lent H200, the same image, page cache dropped before each restore" 2>&1 | tail -20
step "T: TTFT probe through a restore"
[ $(( DEADLINE - $(date +%s) )) -gt 90 ] && "$BIN" probe --url "http://127.0.0.1:$PORT" --max-tokens 512 --warm-runs 5 --out "$OUT/ttft-probe-restored.md" \
  --restart "env PYTHONPATH=$SRC/integrations/vllm-snapshot $PY -m vllm_snapshot restore --image $IMG --vllm-version 0.26.0" 2>&1 | tail -15
step "collect"
tail -50 "$IMG/restore.log" > "$OUT/criu-restore-tail.log" 2>/dev/null
tail -50 "$IMG/dump.log" > "$OUT/criu-dump-tail.log" 2>/dev/null
tar -C "$W/repo" -czf "$OUT/benchmarks.tgz" benchmarks 2>/dev/null
ls -la "$OUT"
echo DONE
