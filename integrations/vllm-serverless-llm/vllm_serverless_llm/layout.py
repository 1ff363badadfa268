"""The ServerlessLLM Store layout and the checks made before any weight moves.

Pure Python (no torch, no vLLM), so the same rules run in the loader, in the converter and in
tests on a machine without a GPU.

Layout (as the runbook writes it):
    <storage>/vllm/<org>/<model>/config.json, tokenizer files
    <storage>/vllm/<org>/<model>/rank_<N>/tensor_index.json, tensor.data_0, tensor.data_1, ...
`tensor_index.json` maps each tensor name to [offset, size, shape, stride, dtype]; offsets count
across the data files in order. `sllm-store` serves <storage> on 127.0.0.1:8073.
"""

import json
import os
import socket

STORE_HOST = "127.0.0.1"
STORE_PORT = 8073


class StoreError(RuntimeError):
    """A store that cannot serve this model: the message says what is wrong and what to do."""


def store_model_dir(storage_path, model_name):
    """Where a model lives in the store: <storage>/vllm/<org>/<model>."""
    if not model_name or model_name.startswith("/") or ".." in model_name.split("/"):
        raise StoreError(f"model name {model_name!r}: expected ORG/NAME")
    return os.path.join(storage_path, "vllm", model_name)


def rank_dir(model_dir, rank):
    return os.path.join(model_dir, f"rank_{rank}")


def find_storage_path(model_dir, explicit=None, environ=None):
    """The folder sllm-store serves: given, from SLLM_STORAGE_PATH/STORAGE_PATH, or the parent
    of the `vllm` folder above the model. The model must lie inside it."""
    environ = os.environ if environ is None else environ
    model_dir = os.path.abspath(model_dir)
    storage = explicit or environ.get("SLLM_STORAGE_PATH") or environ.get("STORAGE_PATH")
    if not storage:
        parts = model_dir.split(os.sep)
        # The last "vllm" component: <storage>/vllm/<org>/<model>.
        for i in range(len(parts) - 1, 0, -1):
            if parts[i] == "vllm":
                storage = os.sep.join(parts[:i]) or os.sep
                break
    if not storage:
        raise StoreError(
            f"{model_dir} is not inside a store (<storage>/vllm/<org>/<model>): pass "
            "--model-loader-extra-config '{\"storage_path\": \"MODEL_FOLDER\"}' or set SLLM_STORAGE_PATH")
    storage = os.path.abspath(storage)
    if os.path.commonpath([storage, model_dir]) != storage:
        raise StoreError(f"{model_dir} is not inside the store's storage path {storage}")
    return storage


def choose_rank_dir(model_dir, rank):
    """rank_<rank>, or rank_0 when the store holds one full copy (converted from safetensors,
    which every rank reads and vLLM's own weight loaders shard)."""
    own = rank_dir(model_dir, rank)
    if os.path.isdir(own):
        return own
    first = rank_dir(model_dir, 0)
    if rank > 0 and os.path.isdir(first) and not os.path.isdir(rank_dir(model_dir, 1)):
        return first
    raise StoreError(
        f"{own} does not exist: the model is not converted to the store format for rank {rank} "
        f"(run: sllm-convert --model SNAPSHOT --storage-path STORAGE --name ORG/NAME)")


def read_index(rdir):
    """tensor_index.json as {name: (offset, size, shape, stride, dtype)}."""
    path = os.path.join(rdir, "tensor_index.json")
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except FileNotFoundError:
        raise StoreError(f"{path} is missing: the conversion did not finish; convert again") from None
    except PermissionError:
        raise StoreError(f"{path}: permission denied for uid {os.getuid()}") from None
    except (OSError, ValueError) as e:
        raise StoreError(f"{path} is not a tensor index ({e.__class__.__name__}): convert again") from None
    if not isinstance(raw, dict) or not raw:
        raise StoreError(f"{path} lists no tensors: convert again")
    index = {}
    for name, entry in raw.items():
        if not (isinstance(entry, list) and len(entry) == 5):
            raise StoreError(f"{path}: entry {name!r} is not [offset, size, shape, stride, dtype]")
        offset, size, shape, stride, dtype = entry
        if not (isinstance(offset, int) and isinstance(size, int) and offset >= 0 and size >= 0):
            raise StoreError(f"{path}: entry {name!r} has a bad offset or size")
        index[name] = (offset, size, tuple(shape), tuple(stride), str(dtype))
    return index


def data_files(rdir):
    """tensor.data_0, tensor.data_1, ... in order (a gap ends the list)."""
    files = []
    while True:
        p = os.path.join(rdir, f"tensor.data_{len(files)}")
        if not os.path.isfile(p):
            return files
        files.append(p)


def check_data(rdir, index):
    """The data files hold every byte the index points at."""
    files = data_files(rdir)
    if not files:
        raise StoreError(f"{rdir} has no tensor.data_0: the conversion did not finish; convert again")
    total = sum(os.path.getsize(p) for p in files)
    needed = max(offset + size for offset, size, _, _, _ in index.values())
    if total < needed:
        raise StoreError(
            f"{rdir}: the data files hold {total} bytes but the index needs {needed}: "
            "the conversion stopped half-way; remove the folder and convert again")
    return total


def model_bytes(index):
    return sum(size for _, size, _, _, _ in index.values())


def dtypes(index):
    counts = {}
    for _, _, _, _, dtype in index.values():
        counts[dtype] = counts.get(dtype, 0) + 1
    return counts


def check_dtype(index, expected):
    """Floating-point tensors must have the dtype vLLM will run in (`torch.bfloat16`...): a
    store converted in another dtype would be cast on every start, or wrong."""
    expected = str(expected)
    if not expected.startswith("torch."):
        expected = "torch." + expected
    floating = ("torch.float16", "torch.bfloat16", "torch.float32", "torch.float64")
    wrong = {d: n for d, n in dtypes(index).items() if d in floating and d != expected}
    if wrong:
        shown = ", ".join(f"{n} tensor(s) in {d}" for d, n in sorted(wrong.items()))
        raise StoreError(
            f"dtype mismatch: vLLM runs this model in {expected} but the store holds {shown}: "
            f"convert with --dtype {expected.replace('torch.', '')} or start vLLM with --dtype to match")


def store_listening(host=STORE_HOST, port=STORE_PORT, timeout=0.5):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_store(storage_path, host=STORE_HOST, port=STORE_PORT):
    if not store_listening(host, port):
        raise StoreError(
            f"ServerlessLLM Store is not running on {host}:{port}: start it first "
            f"(python -m vllm_serverless_llm.store_server --storage-path {storage_path} --mem-pool-size SIZE)")


# Files a model needs besides its weights (config, tokenizer, generation settings).
COMPANION_SUFFIXES = (".json", ".txt", ".model", ".tiktoken", ".jinja", ".py")
WEIGHT_FILES = ("model.safetensors.index.json", "pytorch_model.bin.index.json")


def companion_files(src_dir):
    """Non-weight files to copy beside the store's rank folders."""
    out = []
    for name in sorted(os.listdir(src_dir)):
        path = os.path.join(src_dir, name)
        if not os.path.isfile(path) or name in WEIGHT_FILES:
            continue
        if name.endswith(COMPANION_SUFFIXES):
            out.append(name)
    return out


def safetensors_shards(src_dir):
    """The shards of a safetensors checkpoint, from its index when there is one."""
    index = os.path.join(src_dir, "model.safetensors.index.json")
    if os.path.isfile(index):
        with open(index, encoding="utf-8") as f:
            weight_map = json.load(f).get("weight_map", {})
        shards = sorted(set(weight_map.values()))
    else:
        shards = sorted(n for n in os.listdir(src_dir) if n.endswith(".safetensors"))
    if not shards:
        raise StoreError(f"{src_dir} holds no .safetensors weights")
    missing = [s for s in shards if not os.path.isfile(os.path.join(src_dir, s))]
    if missing:
        raise StoreError(f"{src_dir}: shard(s) missing: {', '.join(missing)} (a cold or partial HF cache?)")
    return [os.path.join(src_dir, s) for s in shards]
