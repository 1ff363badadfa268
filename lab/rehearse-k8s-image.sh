#!/usr/bin/env bash
# The DaemonSet's image, for real: builds deploy/k8s/Containerfile around the binary from
# `make dist`, then runs the DaemonSet's own command line in it (as written in
# deploy/k8s/daemonset.yaml) against a node captured in files: a host mount table with the
# model volume, /sys/block, /run/udev/data, and a volume folder holding a complete HF snapshot.
# Prints the report and the fleet matrix of it.
#   make dist && scripts/with-test-docker.sh lab/rehearse-k8s-image.sh
# Needs DOCKER_HOST (or SLLM_TEST_DOCKER_HOST). Without a registry, the test image (a Debian
# bookworm from debootstrap) stands in for debian:bookworm-slim: it is tagged so locally.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
export DOCKER_HOST=${SLLM_TEST_DOCKER_HOST:-${DOCKER_HOST:-}}
DIST=$SRC/.build/dist
[ -x "$DIST/sllm-doctor" ] || { echo "no $DIST/sllm-doctor: run make dist first" >&2; exit 2; }
if ! docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
  docker tag "${SLLM_TEST_IMAGE:-sllm-doctor-test:bookworm}" debian:bookworm-slim
fi
docker build -q -f "$SRC/deploy/k8s/Containerfile" -t sllm-doctor:0.1.0 "$DIST" >/dev/null
N=$(mktemp -d /tmp/sllm-k8s-XXXX)
trap 'rm -rf "$N"' EXIT
# The node: / on its root disk, the pre-baked volume on /mnt/models (the AWS layout).
mkdir -p "$N/proc/1" "$N/sys/block/nvme1n1" "$N/run/udev/data" "$N/models"
cp "$SRC/Tests/Fixtures/mountinfo-aws-models.txt" "$N/proc/1/mountinfo"
echo 259:3 > "$N/sys/block/nvme1n1/dev"; echo 314572800 > "$N/sys/block/nvme1n1/size"
H=$N/models/hf-cache/hub/models--mistralai--Mistral-7B-Instruct-v0.3
mkdir -p "$H/refs" "$H/snapshots/0d4b76e1efeb5eb6f6b5e757c79870472e04bd3a"
echo 0d4b76e1efeb5eb6f6b5e757c79870472e04bd3a > "$H/refs/main"
echo '{"model_type":"mistral"}' > "$H/snapshots/0d4b76e1efeb5eb6f6b5e757c79870472e04bd3a/config.json"
head -c 4096 /dev/urandom > "$H/snapshots/0d4b76e1efeb5eb6f6b5e757c79870472e04bd3a/model.safetensors"
# The DaemonSet's loop body, read from the manifest (the `sllm-doctor check` line).
LINE=$(grep -m1 'sllm-doctor check ' "$SRC/deploy/k8s/daemonset.yaml" | sed 's/^ *//')
echo "command: $LINE"
docker run --rm --network none --read-only --cap-drop ALL \
  -e NODE_NAME=ip-10-0-1-5.ec2.internal -e MODEL_VOLUME=/mnt/models -e MODEL_NAME=mistralai/Mistral-7B-Instruct-v0.3 \
  -e HF_HOME=/mnt/models/hf-cache -e HF_HUB_OFFLINE=1 -e TRANSFORMERS_OFFLINE=1 \
  -v "$N/models:/mnt/models:ro" -v "$N/proc:/host/proc:ro" -v "$N/sys:/host/sys:ro" -v "$N/run/udev:/host/run/udev:ro" \
  --entrypoint /bin/sh sllm-doctor:0.1.0 -c "$LINE" > "$N/report.json" || true
cat "$N/report.json"
"$DIST/sllm-doctor" fleet report "$N/report.json" || true
