#!/usr/bin/env python3
"""make perf: what `sllm-doctor check` costs, against `findmnt` and the runbook's shell steps.

    scripts/perf.py BIN [--runs N] [--cold-runs N]

For HF caches of 10,000 and 100,000 files (synthetic: the runbook's model plus other models),
prints median wall times of:
  - sllm-doctor check (all checks), and --only env,storage,model,offline
  - findmnt -no SOURCE,TARGET /            (the speed floor: one util-linux call)
  - the runbook's shell steps for the same facts: findmnt --target, df -hT, find ... config.json | grep
warm (page cache as it is), and cold (page cache dropped before every run; root only).
Then the runbook's own layout (vllm_bridge/docker-compose.yml with the step 1B anchor,
vllm_bridge/env/common.env, .env): check against findmnt with no Docker engine, and with one
running when SLLM_PERF_DOCKER_HOST names it (scripts/perf.sh starts a private dockerd as root),
plus check --deep there (it runs the compose CLI, and may take longer).
Commands run interleaved, so machine noise hits all of them alike. Each time includes the
process start, as a user or a script pays it.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def make_cache(hub, files):
    n = 0

    def model(repo, shards, extra):
        nonlocal n
        d = os.path.join(hub, "models--" + repo.replace("/", "--"))
        h = "a" * 40
        os.makedirs(os.path.join(d, "refs"))
        open(os.path.join(d, "refs", "main"), "w").write(h)
        s = os.path.join(d, "snapshots", h)
        os.makedirs(s)
        b = os.path.join(d, "blobs")
        os.makedirs(b)
        names = ["config.json"] + ["model-%05d-of-%05d.safetensors" % (i + 1, shards) for i in range(shards)] \
            + ["extra_%d.txt" % i for i in range(extra)]
        json.dump({"metadata": {"total_size": shards}, "weight_map": {"w%d" % i: names[i + 1] for i in range(shards)}},
                  open(os.path.join(s, "model.safetensors.index.json"), "w"))
        n += 2
        for i, name in enumerate(names):
            open(os.path.join(b, "blob%d" % i), "w").write("x")
            os.symlink("../../blobs/blob%d" % i, os.path.join(s, name))
            n += 2

    model("meta-llama/Llama-3.1-8B-Instruct", 4, 0)
    i = 0
    while n < files:
        model("other/model-%d" % i, 4, 40)
        i += 1
    return n


def drop_caches():
    subprocess.run(["sync"])
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def timed(cmd, shell=False):
    t = time.perf_counter()
    subprocess.run(cmd, shell=shell, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - t) * 1000


def measure(commands, runs, cold):
    times = {name: [] for name in commands}
    for _ in range(runs):
        for name, (cmd, shell) in commands.items():
            if cold:
                drop_caches()
            times[name].append(timed(cmd, shell))
    return {name: statistics.median(v) for name, v in times.items()}


# The runbook's compose file after its step A (offline flags as per-run switches): the same
# fixture the offline.compose tests read.
RUNBOOK_COMPOSE = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "compose-runbook-offline-toggle.yml")).read()


def runbook_layout(binary, runs):
    """The runbook's tree, timed with no engine and with the engine up; returns table rows."""
    tmp = tempfile.mkdtemp(prefix="sllm-perf-runbook-")
    rows = []
    try:
        hf, mf, repo = os.path.join(tmp, "nvme/hf-cache"), os.path.join(tmp, "nvme/sllm-models"), os.path.join(tmp, "repo")
        for d in (hf + "/hub", mf, os.path.join(repo, "vllm_bridge/env")):
            os.makedirs(d)
        make_cache(hf + "/hub", 1_000)
        env_path = os.path.join(repo, ".env")
        open(env_path, "w").write("MODEL_FOLDER=%s\nHF_CACHE_FOLDER=%s\nMODEL_NAME=meta-llama/Llama-3.1-8B-Instruct\nMEM_POOL_SIZE=32GB\n"
                                  "VLLM_BASELINE_PORT=18001\nVLLM_FASTSTART_PORT=18082\nSLLM_NUM_THREAD=16\nSLLM_CHUNK_SIZE=128MB\n" % (mf, hf))
        os.chmod(env_path, 0o600)
        open(os.path.join(repo, "vllm_bridge/docker-compose.yml"), "w").write(RUNBOOK_COMPOSE)
        open(os.path.join(repo, "vllm_bridge/env/common.env"), "w").write("HF_HOME=/root/.cache/huggingface\n")
        open(os.path.join(repo, "vllm_bridge/Dockerfile"), "w").write("FROM vllm/vllm-openai:v0.9.0\n")
        subprocess.run(["sync"])
        engines = [("not running", "unix://" + os.path.join(tmp, "no-engine.sock"))]
        if os.environ.get("SLLM_PERF_DOCKER_HOST"):
            engines.append(("running", os.environ["SLLM_PERF_DOCKER_HOST"]))
        for label, host in engines:
            env = dict(os.environ, DOCKER_HOST=host)
            check = [binary, "check", "--root", repo]
            commands = {
                "check (all)": check,
                "findmnt -no SOURCE,TARGET /": ["findmnt", "-no", "SOURCE,TARGET", "/"],
            }
            if label == "running":
                commands["check --deep"] = check + ["--deep"]
            times = {name: [] for name in commands}
            for name, cmd in commands.items():   # warm-up, and proof they run
                subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for i in range(runs):
                for name, cmd in commands.items():
                    if name == "check --deep" and i >= max(5, runs // 10):
                        continue   # a CLI run per call: a few are enough
                    t = time.perf_counter()
                    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    times[name].append((time.perf_counter() - t) * 1000)
            verdict = subprocess.run(check + ["--only", "runtime", "--json"], env=env, capture_output=True, text=True).stdout
            try:
                states = {c["id"]: c["status"] for c in json.loads(verdict)["checks"]}
            except ValueError:
                states = {}
            rows.append((label, {n: statistics.median(v) for n, v in times.items()}, states))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def main():
    args = sys.argv[1:]
    binary = os.path.abspath(args[0] if args else ".build/release/sllm-doctor")
    runs = int(args[args.index("--runs") + 1]) if "--runs" in args else 60
    cold_runs = int(args[args.index("--cold-runs") + 1]) if "--cold-runs" in args else 8
    root = os.geteuid() == 0
    print("binary: %s (%.1f MB)" % (binary, os.path.getsize(binary) / 1e6))
    print("medians in ms; warm: %d runs each, interleaved; cold: %s" %
          (runs, "%d runs each, page cache dropped before every run" % cold_runs if root else "skipped (not root)"))
    rows = []
    for files in (10_000, 100_000):
        tmp = tempfile.mkdtemp(prefix="sllm-perf-")
        try:
            hf, mf, repo = os.path.join(tmp, "nvme/hf-cache"), os.path.join(tmp, "nvme/sllm-models"), os.path.join(tmp, "repo")
            for d in (hf + "/hub", mf, repo):
                os.makedirs(d)
            made = make_cache(hf + "/hub", files)
            env = os.path.join(repo, ".env")
            open(env, "w").write("MODEL_FOLDER=%s\nHF_CACHE_FOLDER=%s\nMODEL_NAME=meta-llama/Llama-3.1-8B-Instruct\n"
                                 "VLLM_BASELINE_PORT=18001\nVLLM_FASTSTART_PORT=18082\n" % (mf, hf))
            os.chmod(env, 0o600)
            shell_steps = ("findmnt -no SOURCE,TARGET --target %s; df -hT %s %s; find %s -name config.json | grep -i Llama-3.1-8B-Instruct"
                           % (mf, mf, hf, hf))
            commands = {
                "check (all)": ([binary, "check", "--root", repo], False),
                "check --only env,storage,model,offline": ([binary, "check", "--root", repo, "--only", "env,storage,model,offline"], False),
                "findmnt -no SOURCE,TARGET /": (["findmnt", "-no", "SOURCE,TARGET", "/"], False),
                "runbook shell steps": (shell_steps, True),
            }
            # The cache was just written: let its writeback finish before anything is timed.
            subprocess.run(["sync"])
            time.sleep(2)
            for name, (cmd, shell) in commands.items():   # warm-up, and proof they run
                timed(cmd, shell)
            for mode in ("warm", "cold"):
                if mode == "cold" and not root:
                    continue
                m = measure(commands, runs if mode == "warm" else cold_runs, mode == "cold")
                rows.append((made, mode, m))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    names = list(rows[0][2].keys())
    print()
    print("| cache files | page cache | " + " | ".join(names) + " | check / findmnt | check --only / findmnt | check / shell steps |")
    print("|---:|---|" + "---:|" * (len(names) + 3))
    for made, mode, m in rows:
        f = m["findmnt -no SOURCE,TARGET /"]
        print("| %d | %s | " % (made, mode) + " | ".join("%.2f" % m[n] for n in names)
              + " | %.1fx | %.1fx | %.2fx |" % (m["check (all)"] / f, m["check --only env,storage,model,offline"] / f,
                                               m["check (all)"] / m["runbook shell steps"]))
    warm = [m for _, mode, m in rows if mode == "warm"]
    ratio = max(m["check (all)"] / m["findmnt -no SOURCE,TARGET /"] for m in warm)
    print()
    print("goal: check (all) <= 3x findmnt on a warm tree: %s (worst %.1fx)" % ("met" if ratio <= 3 else "NOT met", ratio))

    print()
    print("runbook layout (vllm_bridge/docker-compose.yml, env/common.env, .env; 1,000-file HF cache), warm, %d runs each, interleaved:" % runs)
    layout = runbook_layout(binary, runs)
    print()
    print("| Docker engine | check (all) | findmnt | check / findmnt | check --deep | runtime.compose, runtime.containers |")
    print("|---|---:|---:|---:|---:|---|")
    for label, m, states in layout:
        f = m["findmnt -no SOURCE,TARGET /"]
        deep = m.get("check --deep")
        print("| %s | %.2f | %.2f | %.1fx | %s | %s, %s |" % (label, m["check (all)"], f, m["check (all)"] / f,
              "%.1f (%.0fx)" % (deep, deep / f) if deep else "-", states.get("runtime.compose", "?"), states.get("runtime.containers", "?")))
    worst = max(m["check (all)"] / m["findmnt -no SOURCE,TARGET /"] for _, m, _ in layout)
    print()
    print("goal: check (all) <= 3x findmnt on the runbook layout, engine %s: %s (worst %.1fx)" %
          ("up and down" if len(layout) > 1 else "down only (no dockerd: run as root with docker.io)", "met" if worst <= 3 else "NOT met", worst))


if __name__ == "__main__":
    main()
