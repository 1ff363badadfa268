#!/usr/bin/env bash
# make perf's anatomy rows: `anatomy` on the inputs that made the regex version backtrack or
# crawl (issue 29): one 220 KB line repeating "EngineCore", ten lines at bench's 16 KiB per-line
# cap, and an ordinary 8 MiB log (a committed H200 log repeated). One run each, wall seconds.
set -euo pipefail
BIN=${1:-.build/release/sllm-doctor}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d /tmp/sllm-perf-anatomy-XXXX)
trap 'rm -rf "$T"' EXIT
python3 - "$T" "$ROOT/Tests/Fixtures/vllm026-h200-store-template-kv8g.log" <<'PY'
import sys
out, real = sys.argv[1], open(sys.argv[2]).read()
stamp = "2026-12-02T08:53:17.212Z O "
open(out + "/engine-core-220k.log", "w").write(stamp + "EngineCore" * 22000 + "\n")
line = stamp + ("EngineCore" * 1700)[:16384 - len(stamp)]
open(out + "/engine-core-10x16k.log", "w").write((line + "\n") * 10)
open(out + "/ordinary-8m.log", "w").write(real * ((8 << 20) // len(real) + 1))
PY
echo "anatomy on hostile and large logs (wall s, one run):"
for f in engine-core-220k engine-core-10x16k ordinary-8m; do
  s=$(date +%s%N)
  "$BIN" anatomy "$T/$f.log" >/dev/null
  ms=$(( ($(date +%s%N) - s) / 1000000 ))
  printf '  %-20s %4d.%03d\n' "$f" $((ms / 1000)) $((ms % 1000))
done
