#!/usr/bin/env bash
# make perf: `sllm-doctor check` against the runbook's shell steps for the same facts, on a
# synthetic HF cache of 10,000 files; then synth-model's write speed. One run, printed figures.
set -euo pipefail
BIN=${1:-.build/release/sllm-doctor}
T=$(mktemp -d /tmp/sllm-perf-XXXX); trap 'rm -rf "$T"' EXIT
HF=$T/nvme/hf-cache; MF=$T/nvme/sllm-models; mkdir -p "$HF/hub" "$MF" "$T/repo"
python3 - "$HF/hub" <<'PY'
import json, os, sys
hub = sys.argv[1]; n = 0
def model(repo, shards, extra):
    global n
    d = os.path.join(hub, "models--" + repo.replace("/", "--")); h = "a" * 40
    os.makedirs(os.path.join(d, "refs")); open(os.path.join(d, "refs", "main"), "w").write(h)
    s = os.path.join(d, "snapshots", h); os.makedirs(s); b = os.path.join(d, "blobs"); os.makedirs(b)
    names = ["config.json"] + ["model-%05d-of-%05d.safetensors" % (i + 1, shards) for i in range(shards)] + ["extra_%d.txt" % i for i in range(extra)]
    json.dump({"metadata": {"total_size": shards}, "weight_map": {"w%d" % i: names[i + 1] for i in range(shards)}},
              open(os.path.join(s, "model.safetensors.index.json"), "w"))
    n += 2
    for i, name in enumerate(names):
        open(os.path.join(b, "blob%d" % i), "w").write("x"); os.symlink("../../blobs/blob%d" % i, os.path.join(s, name)); n += 2
model("meta-llama/Llama-3.1-8B-Instruct", 4, 0)
i = 0
while n < 10000:
    model("other/model-%d" % i, 4, 40); i += 1
print("synthetic HF cache: %d files and links" % n)
PY
printf 'MODEL_FOLDER=%s\nHF_CACHE_FOLDER=%s\nMODEL_NAME=meta-llama/Llama-3.1-8B-Instruct\nVLLM_BASELINE_PORT=18001\nVLLM_FASTSTART_PORT=18082\n' "$MF" "$HF" > "$T/repo/.env"
chmod 600 "$T/repo/.env"
now() { date +%s%N; }
best() { # best of 5 wall times of "$@", in ns
  local b=999999999999 a e
  for _ in 1 2 3 4 5; do a=$(now); "$@" >/dev/null 2>&1 || true; e=$(now); [ $((e - a)) -lt $b ] && b=$((e - a)); done
  echo $b
}
shell_steps() {
  findmnt -no SOURCE,TARGET --target "$MF"
  df -hT "$MF" "$HF"
  find "$HF" -name config.json | grep -i "Llama-3.1-8B-Instruct"
}
"$BIN" check --root "$T/repo" >/dev/null 2>&1 || true; shell_steps >/dev/null 2>&1 || true   # warm caches
d_all=$(best "$BIN" check --root "$T/repo")
d_core=$(best "$BIN" check --root "$T/repo" --only env,storage,model,offline)
s=$(best shell_steps)
echo "sllm-doctor check, all 14 checks (spawns git, nvidia-smi, docker when present): $((d_all / 1000)) us"
echo "sllm-doctor check --only env,storage,model,offline:                            $((d_core / 1000)) us"
echo "runbook shell steps (findmnt + df + find config.json | grep):                  $((s / 1000)) us"
python3 -c "print('ratio shell/check: %.1fx (all checks), %.1fx (--only env,storage,model,offline)' % ($s / $d_all, $s / $d_core))"
echo
echo "synth-model write speed, qwen3-0.6b shape (1.19 GB of weights):"
"$BIN" synth-model --shape qwen3-0.6b --hf-home "$T/synth" --repo perf/qwen 2>/dev/null | grep "write speed"
