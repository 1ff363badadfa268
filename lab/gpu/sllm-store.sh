#!/usr/bin/env bash
# Starts (or restarts) ServerlessLLM Store on 127.0.0.1:8073, detached from the caller, and
# returns once it accepts connections. A restart empties its pinned memory pool: the next load
# reads the model from disk again, which is what a cold faststart run must measure.
#   sllm-store.sh start|restart|stop   (STORAGE, POOL, PY, SITE from the environment)
set -u
STORAGE=${STORAGE:-/nvme/sllm-models}; POOL=${POOL:-20GB}; PY=${PY:-/opt/torch/.venv/bin/python3}
SITE=${SITE:-/tmp/plugin-site:/tmp/sllm-site}; LOG=${LOG:-/tmp/sllm-store.log}
listening() { (exec 3<>/dev/tcp/127.0.0.1/8073) 2>/dev/null; }
stop() {
  pkill -f 'vllm_serverless_llm.store_server' 2>/dev/null
  for _ in $(seq 1 100); do listening || pgrep -f vllm_serverless_llm.store_server >/dev/null || return 0; sleep 0.1; done
  pkill -9 -f 'vllm_serverless_llm.store_server'; sleep 0.5
}
case "${1:-start}" in
  stop) stop; exit 0 ;;
  restart) stop ;;
esac
setsid env PYTHONPATH="$SITE" LD_LIBRARY_PATH=/tmp/sllm-site/sllm_store:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-} "$PY" -m vllm_serverless_llm.store_server \
  --storage-path "$STORAGE" --mem-pool-size "$POOL" --chunk-size 128MB --num-thread 16 >> "$LOG" 2>&1 < /dev/null &
for _ in $(seq 1 1200); do listening && exit 0; sleep 0.05; done
echo "sllm-store did not come up within 60 s; its log:" >&2; tail -20 "$LOG" >&2; exit 1
