"""safetensors → ServerlessLLM Store format, with no patched vLLM and no GPU.

    sllm-convert --model SNAPSHOT_DIR --storage-path MODEL_FOLDER --name ORG/NAME [--dtype bfloat16]

Writes <storage>/vllm/<ORG/NAME>/rank_0 (tensor_index.json + tensor.data_*, writer.py) and
copies config and tokenizer files beside it. The result appears
under its final name only when complete (written to a temporary folder, then renamed), so a
stopped conversion never looks like a model."""

import argparse
import os
import shutil
import sys
import tempfile
import time

from . import layout


def convert(src, storage, name, dtype=None, log=print):
    import torch
    from safetensors.torch import load_file

    from .writer import write_rank

    target = layout.store_model_dir(storage, name)
    if os.path.exists(target):
        raise layout.StoreError(f"{target} exists: remove it first to convert again")
    shards = layout.safetensors_shards(src)
    cast = getattr(torch, dtype) if dtype else None
    started = time.perf_counter()
    state = {}
    for shard in shards:
        for key, tensor in load_file(shard).items():
            if cast is not None and tensor.is_floating_point():
                tensor = tensor.to(cast)
            state[key] = tensor.contiguous()
    read_done = time.perf_counter()
    os.makedirs(os.path.dirname(target), exist_ok=True)
    work = tempfile.mkdtemp(prefix=".convert-", dir=os.path.dirname(target))
    try:
        write_rank(state, os.path.join(work, "rank_0"))
        for f in layout.companion_files(src):
            shutil.copy(os.path.join(src, f), os.path.join(work, f))
        index = layout.read_index(os.path.join(work, "rank_0"))
        layout.check_data(os.path.join(work, "rank_0"), index)
        os.rename(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    done = time.perf_counter()
    gib = layout.model_bytes(index) / 2**30
    log(f"converted {len(index)} tensors, {gib:.2f} GiB, {', '.join(sorted(layout.dtypes(index)))}: "
        f"read {read_done - started:.1f} s, written {done - read_done:.1f} s ({gib / max(done - read_done, 1e-9):.2f} GiB/s) -> {target}")
    return target


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="a folder with safetensors shards (an HF snapshot)")
    p.add_argument("--storage-path", required=True, help="the store's folder (MODEL_FOLDER)")
    p.add_argument("--name", required=True, help="ORG/NAME under <storage>/vllm/")
    p.add_argument("--dtype", choices=["bfloat16", "float16", "float32"], help="cast floating-point tensors")
    a = p.parse_args(argv)
    try:
        convert(a.model, a.storage_path, a.name, a.dtype)
    except layout.StoreError as e:
        print(f"sllm-convert: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
