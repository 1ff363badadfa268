#!/usr/bin/env bash
# A full `sllm-doctor bench` against the loopback vLLM stand-in: no GPU, no docker.
# Writes into a temp root (printed), with .env, a plan of three variants and the results.
#   lab/rehearse-bench.sh [BIN] [RUNS]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$SRC/.build/release/sllm-doctor}
RUNS=${2:-3}
R=$(mktemp -d /tmp/sllm-rehearsal-XXXX)
mkdir -p "$R/nvme/sllm-models" "$R/nvme/hf-cache"
printf 'MODEL_FOLDER=%s\nHF_CACHE_FOLDER=%s\nMODEL_NAME=Qwen/Qwen3-0.6B\n' "$R/nvme/sllm-models" "$R/nvme/hf-cache" > "$R/.env"
chmod 600 "$R/.env"
FAKE="python3, $SRC/Tests/Standins/fake_vllm.py, Qwen/Qwen3-0.6B"
cat > "$R/plan.yaml" <<EOF
variants:
  - name: baseline
    port: 18601
    command: [$FAKE, --port, "18601", --ready-delay, "1.2"]
  - name: fastsafetensors
    port: 18602
    command: [$FAKE, --port, "18602", --ready-delay, "0.8", --load-format, fastsafetensors]
  - name: wake
    kind: wake
    port: 18603
    command: [$FAKE, --port, "18603", --ready-delay, "1.0"]
EOF
echo "root: $R"
# The temp folders sit on this host's OS disk and hold no model: those checks are ignored here.
"$BIN" bench --root "$R" --plan "$R/plan.yaml" --runs "$RUNS" --ignore storage,model
