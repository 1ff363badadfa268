#!/usr/bin/env python3
"""Writes scripts/check-functions.order: the functions one `check` runs, in the order the linker
should place them (`make build` passes the file to lld), so that check's start touches a few
hundred kilobytes of code instead of pages spread over 17 MB.

    scripts/order-functions.py [BIN]      (BIN: a release build; needs valgrind)

The functions come from callgrind runs of `check` (text, --json, -v, --only) on a synthetic
runbook tree. A function that shares its input section with others (much of the Swift stdlib
is one section) drags that whole section along, so those come after the ones with a section of
their own. Names that a later build lacks are skipped by the linker: a stale file costs speed,
never correctness.
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import perf  # noqa: E402  (the synthetic HF cache)


def executed_functions(binary, runs):
    seen, order = set(), []
    for args in runs:
        out = tempfile.mktemp(prefix="sllm-order-")
        subprocess.run(["valgrind", "--tool=callgrind", "--demangle=no", "--compress-strings=no",
                        "--compress-pos=no", "--callgrind-out-file=" + out, binary] + args,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        obj = None
        for line in open(out):
            if line.startswith("ob="):
                obj = line[3:].strip()
            elif line.startswith("fn=") and obj == binary:
                name = line[3:].strip().split("'")[0]
                if not name.startswith("0x") and not name.startswith("(") and name not in seen:
                    seen.add(name)
                    order.append(name)
        os.unlink(out)
    return order


def own_section_functions(build_dir, static_dir):
    """Names X with an input section `.text.X` in the release objects or the static libraries."""
    paths = [os.path.join(d, f) for d, _, fs in os.walk(build_dir) for f in fs if f.endswith(".o")]
    paths += [os.path.join(static_dir, f) for f in os.listdir(static_dir) if f.endswith(".a")]
    names = set()
    for i in range(0, len(paths), 200):
        out = subprocess.run(["readelf", "-SW"] + paths[i:i + 200], capture_output=True, text=True).stdout
        for line in out.splitlines():
            for word in line.split():
                if word.startswith(".text.") and len(word) > 6:
                    names.add(word[6:])
    return names


def main():
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/sllm-doctor")
    if not shutil.which("valgrind"):
        sys.exit("valgrind is needed (apt-get install valgrind)")
    tmp = tempfile.mkdtemp(prefix="sllm-order-")
    try:
        # valgrind cannot read this toolchain's DWARF: a copy without it keeps the symbols.
        stripped = os.path.join(tmp, "sllm-doctor")
        subprocess.run(["strip", "--strip-debug", "-o", stripped, binary], check=True)
        hf, mf, repo = (os.path.join(tmp, p) for p in ("nvme/hf-cache", "nvme/sllm-models", "repo"))
        for d in (hf + "/hub", mf, repo):
            os.makedirs(d)
        perf.make_cache(hf + "/hub", 300)
        with open(os.path.join(repo, ".env"), "w") as f:
            f.write("MODEL_FOLDER=%s\nHF_CACHE_FOLDER=%s\nMODEL_NAME=meta-llama/Llama-3.1-8B-Instruct\n"
                    "VLLM_BASELINE_PORT=18001\nVLLM_FASTSTART_PORT=18082\n" % (mf, hf))
        os.chmod(os.path.join(repo, ".env"), 0o600)
        # The runbook's compose file too: offline.compose and runtime.compose walk it.
        os.makedirs(os.path.join(repo, "vllm_bridge/env"))
        with open(os.path.join(repo, "vllm_bridge/docker-compose.yml"), "w") as f:
            f.write(perf.RUNBOOK_COMPOSE)
        with open(os.path.join(repo, "vllm_bridge/env/common.env"), "w") as f:
            f.write("HF_HOME=/root/.cache/huggingface\n")
        runs = [["check", "--root", repo], ["check", "--root", repo, "--json"], ["check", "--root", repo, "-v"],
                ["check", "--root", repo, "--only", "env,storage,model,offline"]]
        executed = executed_functions(stripped, runs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    build_dir = os.path.dirname(os.path.realpath(binary))
    static_dir = os.path.join(os.path.dirname(shutil.which("swift") or "/opt/swift/usr/bin/swift"),
                              "..", "lib", "swift_static", "linux")
    alone = own_section_functions(build_dir, os.path.realpath(static_dir))
    first = [n for n in executed if n in alone]
    rest = [n for n in executed if n not in alone]
    path = os.path.join(HERE, "check-functions.order")
    with open(path, "w") as f:
        f.write("".join(n + "\n" for n in first + rest))
    print("%s: %d functions (%d with a section of their own)" % (path, len(first) + len(rest), len(first)))


if __name__ == "__main__":
    main()
