#!/usr/bin/env bash
# Runs a command (the test suite) with a private Docker engine for the compose tests:
#   scripts/with-test-docker.sh swift test
# As root with dockerd installed: starts dockerd on its own socket, data and exec roots under a
# temporary folder, with no bridge, no iptables, no masquerading (containers use the host's
# network and talk to 127.0.0.1 only); imports the test image, built once per machine with
# debootstrap (cached in $SLLM_TEST_IMAGE_CACHE); exports SLLM_TEST_DOCKER_HOST and
# SLLM_TEST_IMAGE, and SLLM_COMPOSE_V2_CONFIG (compose v2's plugin, scripts/compose-v2-plugin.sh); stops the engine by its PID afterwards, whatever the command's outcome.
# Otherwise it runs the command as it is, and the docker tests say they were skipped and why.
set -uo pipefail
image=sllm-doctor-test:bookworm
cache=${SLLM_TEST_IMAGE_CACHE:-/var/cache/sllm-doctor}
# compose v2's `config` (Debian trixie's plugin, fetched once) for the corpus tests: it needs no
# engine. SLLM_COMPOSE_V2_CONFIG is a DOCKER_CONFIG holding cli-plugins/docker-compose.
if v2config=$(SLLM_TEST_IMAGE_CACHE="$cache" "$(dirname "$0")/compose-v2-plugin.sh"); then
  export SLLM_COMPOSE_V2_CONFIG="$v2config"
else
  export SLLM_COMPOSE_V2_SKIP="scripts/compose-v2-plugin.sh failed (see above)"
fi
why=""
[ "$(id -u)" = 0 ] || why="not root"
[ -z "$why" ] && ! command -v dockerd >/dev/null && why="no dockerd (apt-get install docker.io)"
[ -z "$why" ] && ! command -v debootstrap >/dev/null && why="no debootstrap"
if [ -n "$why" ]; then
  echo "with-test-docker: no private engine ($why): the docker tests will be skipped" >&2
  export SLLM_TEST_DOCKER_SKIP="$why"
  exec "$@"
fi

dir=$(mktemp -d /tmp/sllm-test-docker.XXXXXX)
sock="unix://$dir/docker.sock"
dockerd --host "$sock" --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/pid" \
  --bridge=none --iptables=false --ip-masq=false >"$dir/dockerd.log" 2>&1 &
pid=$!
stop_engine() {
  # Containers first (a test that failed may have left one), then the engine by its PID.
  DOCKER_HOST="$sock" docker ps -aq 2>/dev/null | xargs -r env DOCKER_HOST="$sock" docker rm -f >/dev/null 2>&1
  kill "$pid" 2>/dev/null
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
  umount "$dir"/data/overlay2/*/merged "$dir"/exec/netns/* 2>/dev/null
  rm -rf "$dir"
}
trap stop_engine EXIT
trap 'exit 130' INT TERM HUP

for _ in $(seq 1 300); do DOCKER_HOST="$sock" docker version >/dev/null 2>&1 && break; sleep 0.1; done
if ! DOCKER_HOST="$sock" docker version >/dev/null 2>&1; then
  echo "with-test-docker: dockerd did not start; its log:" >&2; tail -20 "$dir/dockerd.log" >&2
  export SLLM_TEST_DOCKER_SKIP="dockerd did not start (see above)"
else
  tarball="$cache/bookworm-python3.tar"
  if [ ! -s "$tarball" ]; then
    echo "with-test-docker: building the test image once (debootstrap, about 40 s)" >&2
    mkdir -p "$cache" && root="$dir/rootfs" &&
      debootstrap --variant=minbase --include=python3 bookworm "$root" >"$dir/debootstrap.log" 2>&1 &&
      tar -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball" ||
      { echo "with-test-docker: debootstrap failed:" >&2; tail -5 "$dir/debootstrap.log" >&2; }
    rm -rf "$dir/rootfs"
  fi
  if [ -s "$tarball" ] && DOCKER_HOST="$sock" docker import "$tarball" "$image" >/dev/null; then
    export SLLM_TEST_DOCKER_HOST="$sock" SLLM_TEST_IMAGE="$image" SLLM_TEST_IMAGE_TAR="$tarball"
  else
    export SLLM_TEST_DOCKER_SKIP="no test image"
  fi
fi
"$@"
exit $?
