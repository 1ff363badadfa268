"""The image folder's metadata: where an image was made, what it holds, how long it took.

A restore on another GPU model, driver or vLLM version is refused before anything runs: the
driver cannot put device memory back on another GPU, and another vLLM would be running code
the image does not hold."""
import json, os, platform, shutil, subprocess

# The file `sllm-doctor check --profile snapshot` reads too (snapshot.image-match), format 1:
# format, gpu, gpu_count, driver, vllm, model, image_bytes, created, plus this package's own keys.
METADATA = "snapshot-image.json"
FORMAT = 1
COMPATIBLE = ("gpu", "gpu_count", "driver", "vllm")


class ImageError(Exception):
    pass


def gpu_facts():
    """(GPU name, driver version, GPU count) from nvidia-smi, or ("none", "none", 0) without one."""
    smi = shutil.which("nvidia-smi")
    if not smi:
        return "none", "none", 0
    try:
        out = subprocess.run([smi, "--query-gpu=name,driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ImageError(f"nvidia-smi did not answer: {e}")
    lines = [l for l in out.stdout.strip().splitlines() if l.strip()]
    if out.returncode != 0 or not lines or "," not in lines[0]:
        raise ImageError(f"nvidia-smi printed no 'name, driver' line (exit {out.returncode})")
    name, driver = (part.strip() for part in lines[0].split(",", 1))
    return name, driver, len(lines)


def vllm_version(given=None):
    if given:
        return given
    try:
        from importlib.metadata import version, PackageNotFoundError
        try:
            return version("vllm")
        except PackageNotFoundError:
            return "unknown"
    except ImportError:
        return "unknown"


def host_facts(vllm=None):
    gpu, driver, count = gpu_facts()
    return {"gpu": gpu, "gpu_count": count, "driver": driver, "vllm": vllm_version(vllm), "kernel": platform.release()}


def mismatches(made, here):
    """The facts that differ between the image's host and this one, as readable lines."""
    return [f"{key}: the image was made with {made.get(key, '?')!r}, this host has {here.get(key, '?')!r}"
            for key in COMPATIBLE if made.get(key) != here.get(key)]


def write(folder, meta):
    path = os.path.join(folder, METADATA)
    with open(path + ".tmp", "w") as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(path + ".tmp", path)


def read(folder):
    path = os.path.join(folder, METADATA)
    try:
        with open(path) as f:
            meta = json.load(f)
    except FileNotFoundError:
        raise ImageError(f"{path}: no such file: not an image made by `vllm_snapshot create`")
    except (OSError, ValueError) as e:
        raise ImageError(f"{path}: not readable as JSON: {e}")
    if not isinstance(meta, dict):
        raise ImageError(f"{path}: expected a JSON object")
    if meta.get("format") != FORMAT:
        raise ImageError(f"{path}: key 'format' is {meta.get('format')!r}, expected {FORMAT}")
    for key in ("root_pid", "session", "pids", "cuda_pids", "gpu", "gpu_count", "driver", "vllm", "model"):
        if key not in meta:
            raise ImageError(f"{path}: the field '{key}' is missing")
    return meta


def image_bytes(folder):
    total = 0
    for entry in os.scandir(folder):
        if entry.is_file(follow_symlinks=False):
            total += entry.stat(follow_symlinks=False).st_size
    return total


def gib(n):
    return f"{n / (1 << 30):.2f} GiB"
