#!/usr/bin/env bash
# Builds ServerlessLLM Store 0.8.0 from its PyPI sdist with pip, against the venv's torch 2.11
# and CUDA 13's nvcc, offline: the sdist's CMakeLists fetches glog and googletest from GitHub,
# so CMake is pointed at Debian bookworm's source packages of the same libraries instead
# (carried, see prepare-faststart-carry.sh).
#   build-sllm-store.sh TARGET_SITE [static|shared]     (CARRY=/tmp/carry, LOG=TARGET_SITE.log)
# static: glog linked into the extension (PIC); shared: libglog.so.* copied beside it.
set -u
SITE=${1:?target site folder}; GLOG=${2:-static}
CARRY=${CARRY:-/tmp/carry}; LOG=${LOG:-$SITE.log}
PY=/opt/torch/.venv/bin/python3
D=$(mktemp -d /tmp/sllm-deps.XXXX)
tar -xzf "$CARRY/google-glog_0.6.0.orig.tar.gz" -C "$D"
tar -xzf "$CARRY/googletest_1.12.1.orig.tar.gz" -C "$D"
{
  # The machine's default g++ (/opt/gcc) links libstdc++ statically: the extension then carries
  # a second libstdc++ beside the one torch loads, and its first `std::cout << int` crashes.
  # Debian/Ubuntu's own compiler links it dynamically.
  echo 'set(CMAKE_C_COMPILER /usr/bin/gcc CACHE FILEPATH "" FORCE)'
  echo 'set(CMAKE_CXX_COMPILER /usr/bin/g++ CACHE FILEPATH "" FORCE)'
  echo 'set(CMAKE_CUDA_HOST_COMPILER /usr/bin/g++ CACHE FILEPATH "" FORCE)'
  echo "set(FETCHCONTENT_SOURCE_DIR_GLOG \"$D/glog-0.6.0\" CACHE PATH \"\" FORCE)"
  echo "set(FETCHCONTENT_SOURCE_DIR_GOOGLETEST \"$D/googletest-release-1.12.1\" CACHE PATH \"\" FORCE)"
  echo 'set(FETCHCONTENT_FULLY_DISCONNECTED ON CACHE BOOL "" FORCE)'
  # The venv's CMake is 4.x; glog 0.6 still asks for 3.3-era policies.
  echo 'set(CMAKE_POLICY_VERSION_MINIMUM 3.5 CACHE STRING "" FORCE)'
  echo 'set(WITH_GFLAGS OFF CACHE BOOL "" FORCE)'
  echo 'set(WITH_GTEST OFF CACHE BOOL "" FORCE)'
  echo 'set(WITH_UNWIND OFF CACHE BOOL "" FORCE)'
  if [ "$GLOG" = static ]; then
    echo 'set(BUILD_SHARED_LIBS OFF CACHE BOOL "" FORCE)'
    echo 'set(CMAKE_POSITION_INDEPENDENT_CODE ON CACHE BOOL "" FORCE)'
  fi
} > "$D/offline.cmake"
t0=$(date +%s)
PATH=/opt/torch/.venv/bin:/usr/local/cuda/bin:$PATH CC=/usr/bin/gcc CXX=/usr/bin/g++ CUDAHOSTCXX=/usr/bin/g++ CUDA_HOME=/usr/local/cuda TORCH_CUDA_ARCH_LIST=9.0 \
  CMAKE_TOOLCHAIN_FILE="$D/offline.cmake" MAX_JOBS=16 TMPDIR="$D" \
  "$PY" -m pip install --no-clean --no-build-isolation --no-deps --no-index --target "$SITE" \
  "$CARRY/serverless_llm_store-0.8.0.tar.gz" > "$LOG" 2>&1
rc=$?
if [ $rc = 0 ] && [ "$GLOG" = shared ]; then
  find "$D" -name 'libglog.so*' -exec cp -a {} "$SITE/sllm_store/" \;
fi
echo "build-sllm-store ($GLOG glog): pip exit $rc after $(( $(date +%s) - t0 )) s, log $LOG"
exit $rc
