#!/bin/sh
# Container entrypoint: the template imports torch and vLLM once, then starts the server given as
# arguments (`docker run IMAGE python3 -m vllm.entrypoints.cli.main serve MODEL ...`).
# Restart the server inside the running container, skipping the Python start-up:
#   docker exec CONTAINER python3 -m vllm_template restart --socket /run/vllm-template/template.sock
# A `docker restart` restarts the template too (a full start).
set -e
SOCKET=${VLLM_TEMPLATE_SOCKET:-/run/vllm-template/template.sock}
mkdir -p "$(dirname "$SOCKET")" && chmod 700 "$(dirname "$SOCKET")"
exec "${VLLM_TEMPLATE_PYTHON:-python3}" -m vllm_template serve --socket "$SOCKET" --server "$@"
