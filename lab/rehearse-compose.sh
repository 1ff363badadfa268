#!/usr/bin/env bash
# `sllm-doctor bench` on the runbook's compose layout, for real: docker compose (or
# docker-compose) against a Docker engine, with the loopback vLLM stand-in inside a local image.
# Prints the figures: container start, ready against the server's own instant, crash detection.
#   scripts/with-test-docker.sh lab/rehearse-compose.sh [BIN] [RUNS]
# Needs DOCKER_HOST (or SLLM_TEST_DOCKER_HOST) and an image with python3 (SLLM_TEST_IMAGE).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$SRC/.build/release/sllm-doctor}
RUNS=${2:-3}
export DOCKER_HOST=${SLLM_TEST_DOCKER_HOST:-${DOCKER_HOST:-}}
IMAGE=${SLLM_TEST_IMAGE:-sllm-doctor-test:bookworm}
R=$(mktemp -d /tmp/sllm-compose-XXXX)
mkdir -p "$R/nvme/sllm-models" "$R/nvme/hf-cache" "$R/events" "$R/vllm_bridge"
chmod 777 "$R/events"
printf 'MODEL_FOLDER=%s\nHF_CACHE_FOLDER=%s\nMODEL_NAME=Qwen/Qwen3-0.6B\nVLLM_BASELINE_PORT=18701\nVLLM_FASTSTART_PORT=18702\n' \
  "$R/nvme/sllm-models" "$R/nvme/hf-cache" > "$R/.env"
chmod 600 "$R/.env"
service() { # name port delay [extra args, comma-led]
  printf '  %s:\n    image: %s\n    container_name: %s\n    network_mode: host\n    restart: unless-stopped\n' "$1" "$IMAGE" "$1"
  printf '    profiles: [%s]\n    volumes: ["%s/Tests/Standins:/scripts:ro", "%s/events:/events"]\n    environment: *offline_env\n' "${1#vllm_}" "$SRC" "$R"
  printf '    command: [python3, /scripts/fake_vllm.py, Qwen/Qwen3-0.6B, --port, "%s", --events, /events/%s.jsonl, --ready-delay, "%s"%s]\n' "$2" "$1" "$3" "${4:-}"
}
write_compose() {
  {
    printf 'x-offline-env: &offline_env\n  HF_HUB_OFFLINE: ${HF_HUB_OFFLINE:-0}\n  TRANSFORMERS_OFFLINE: ${TRANSFORMERS_OFFLINE:-0}\nservices:\n'
    service vllm_baseline 18701 1.0 "${1:-}"
    service vllm_faststart 18702 0.6
  } > "$R/vllm_bridge/docker-compose.yml"
}
write_compose
echo "root: $R"
# Temp folders on the OS disk, no real model: those checks are ignored here.
"$BIN" bench --root "$R" --runs "$RUNS" --ignore storage,model --json > "$R/result.json" 2> "$R/bench.err" || tail -5 "$R/bench.err"
python3 - "$R" <<'PY'
import json, sys, datetime
root = sys.argv[1]
res = json.load(open(root + "/result.json"))
print("compose:", res.get("compose"))
for v in res["variants"]:
    svc = "vllm_" + v["name"]
    ready = [json.loads(l)["t"] for l in open(f"{root}/events/{svc}.jsonl") if '"ready"' in l]
    for i, r in enumerate(v["runs"]):
        spawned = datetime.datetime.fromisoformat(r["spawned_at"].replace("Z", "+00:00")).timestamp()
        err = (spawned + r["ready_ms"] / 1000 - ready[i]) * 1000 if i < len(ready) and "ready_ms" in r else float("nan")
        print(f'{v["name"]} run {r["run"]}: {r["outcome"]}, ready {r.get("ready_ms")} ms, '
              f'container start {r.get("container_start_ms")} ms, bench ready - server ready = {err:.1f} ms')
PY
# A crash-looping baseline (it prints what a cold cache offline prints): how soon is it seen?
write_compose ', --crash-after, "0.3"'
"$BIN" bench --root "$R" --runs 1 --ignore storage,model --json > "$R/crash.json" 2>"$R/crash.err" || true
python3 - "$R" <<'PY'
import json, sys, datetime
root = sys.argv[1]
r = json.load(open(root + "/crash.json"))["variants"][0]["runs"][0]
crash = [json.loads(l)["t"] for l in open(f"{root}/events/vllm_baseline.jsonl") if '"crash"' in l][0]
spawned = datetime.datetime.fromisoformat(r["spawned_at"].replace("Z", "+00:00")).timestamp()
print(f'crash-loop: {r["outcome"]}, cause {r.get("cause")}, '
      f'seen {(spawned + r["crash_seen_ms"] / 1000 - crash) * 1000:.0f} ms after the crash')
PY
docker rm -f vllm_baseline vllm_faststart >/dev/null 2>&1 || true
