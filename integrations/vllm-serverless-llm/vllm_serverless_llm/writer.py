"""Writes one rank of the store format from torch tensors, in Python.

The format is what sllm-store reads: records written one after another into tensor.data_0,
tensor.data_1, ... (a new file before one would pass 10 GiB), each record padded to 8 bytes,
offsets counted across the files; tensor_index.json maps names to
[offset, size, shape, stride, dtype]. Writing it here needs no compiled extension (the
extension's writer crashed on the H100 build, see docs/gpu-run.md), and the reading side, the
part that decides start-up time, is still sllm-store's own."""

import json
import os

PARTITION_MAX = 10 << 30
ALIGN = 8
# sllm-store reads every file in chunks with O_DIRECT: a file whose size is not a multiple of the
# block size ends in a read the kernel refuses (EINVAL). Each file is padded to this size, and
# offsets count positions in the files laid end to end, padding included.
FILE_ALIGN = 4096


def write_rank(state, rdir, log=None):
    """state: {name: tensor}. Returns (tensor count, bytes written)."""
    import torch

    os.makedirs(rdir, exist_ok=True)
    index, written_at = {}, {}
    offset, part, part_size, handle = 0, -1, 0, None
    try:
        for name, tensor in state.items():
            t = tensor.detach()
            if t.device.type != "cpu":
                t = t.cpu()
            t = t.contiguous()
            size = t.numel() * t.element_size()
            key = (t.untyped_storage().data_ptr(), t.storage_offset(), size)
            if key in written_at:  # a tensor shared under two names (tied weights) is stored once
                index[name] = [written_at[key], size, list(t.shape), list(t.stride()), str(t.dtype)]
                continue
            if handle is None or part_size + size > PARTITION_MAX:
                if handle is not None:
                    offset += _pad_file(handle, part_size)
                    handle.close()
                part += 1
                part_size = 0
                handle = open(os.path.join(rdir, f"tensor.data_{part}"), "wb")
            if size:
                handle.write(t.view(torch.uint8).reshape(-1).numpy().data)
            pad = (-size) % ALIGN
            if pad:
                handle.write(b"\0" * pad)
            index[name] = [offset, size, list(t.shape), list(t.stride()), str(t.dtype)]
            written_at[key] = offset
            offset += size + pad
            part_size += size + pad
        if handle is not None:
            offset += _pad_file(handle, part_size)
    finally:
        if handle is not None:
            handle.close()
    with open(os.path.join(rdir, "tensor_index.json"), "w", encoding="utf-8") as f:
        json.dump(index, f)
    return len(index), offset


def _pad_file(handle, size):
    pad = (-size) % FILE_ALIGN
    if pad:
        handle.write(b"\0" * pad)
    return pad
