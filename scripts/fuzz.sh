#!/usr/bin/env bash
# make fuzz: coverage-guided fuzzing (libFuzzer, `swift build -sanitize=fuzzer`) of the parsers
# that read user files: .env, mountinfo (through libmount), compose, the compose environment
# resolver (interpolation, env_file, extends), bench plans, and a model's safetensors index JSON.
#   scripts/fuzz.sh [RUNS] [PARSER...]     RUNS defaults to 1000000 inputs per parser
# Each parser starts from the test fixtures it reads (seeds_for below: the corpus is assembled
# from Tests/Fixtures at run time, no copies); a crash or a hang (> 5 s on one input) leaves
# its input in .build/fuzz-out/<parser>/ and makes this script exit 1. Add each one found as a
# regression test (Tests/DoctorCoreTests/FuzzRegressionTests.swift) before fixing it.
set -uo pipefail
runs=${1:-1000000}; shift || true
parsers=("$@"); [ ${#parsers[@]} -gt 0 ] || parsers=(dotenv mountinfo compose composeenv plan json)
SLLM_FUZZ=1 swift build -c release --product sllm-fuzz --build-path .build/fuzz -Xswiftc -sanitize=fuzzer 2>&1 | grep -E "error|Compiling|complete" | tail -3
bin=.build/fuzz/release/sllm-fuzz
[ -x "$bin" ] || { echo "fuzz: build failed"; exit 2; }
out=.build/fuzz-out; status=0
fx=Tests/Fixtures
# The fixtures each parser starts from; the inputs earlier runs found (fx/fuzz) seed them too.
seeds_for() {
  case $1 in
    dotenv)    ls "$fx"/*.env ;;
    mountinfo) ls "$fx"/mountinfo-*.txt ;;
    compose)   ls "$fx"/compose-*.yml "$fx"/fuzz/compose-* ;;
    composeenv) ls "$fx"/compose-*.yml "$fx"/fuzz/compose-* "$fx"/fuzz/composeenv-* ;;
    plan)      ls "$fx"/plan-*.yaml "$fx"/fuzz/compose-* ;;
    json)      ls "$fx"/*.json ;;
  esac
}
printf '%-10s %10s %8s %8s %8s %8s\n' parser inputs crashes hangs corpus seconds
for p in "${parsers[@]}"; do
  rm -rf "$out/$p"; mkdir -p "$out/$p/corpus" "$out/$p/artifacts"
  seeds=$(seeds_for "$p")
  [ -n "$seeds" ] || { echo "fuzz: no seeds for $p (expected dotenv, mountinfo, compose, composeenv, plan or json)"; exit 2; }
  # shellcheck disable=SC2086
  cp $seeds "$out/$p/corpus/"
  start=$(date +%s)
  # The Swift runtime's backtracer would take the crash signal before libFuzzer writes the input.
  SWIFT_BACKTRACE=enable=no SLLM_FUZZ_SCRATCH="$out/$p/scratch" SLLM_FUZZ_TARGET=$p "$bin" -runs="$runs" -timeout=5 -max_len=8192 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$out/$p/artifacts/" "$out/$p/corpus" >"$out/$p/log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  done_runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$out/$p/log" | grep -oE '[0-9]+$' | tail -1)
  crashes=$(find "$out/$p/artifacts" -name 'crash-*' -o -name 'oom-*' | wc -l)
  hangs=$(find "$out/$p/artifacts" -name 'timeout-*' | wc -l)
  corpus=$(ls "$out/$p/corpus" | wc -l)
  printf '%-10s %10s %8s %8s %8s %8s\n' "$p" "${done_runs:-?}" "$crashes" "$hangs" "$corpus" "$secs"
  if [ $rc -ne 0 ] || [ "$crashes" != 0 ] || [ "$hangs" != 0 ]; then
    status=1; echo "  $p: libFuzzer exit $rc; see $out/$p/log and $out/$p/artifacts/"; tail -5 "$out/$p/log" | sed 's/^/    /'
  fi
done
exit $status
