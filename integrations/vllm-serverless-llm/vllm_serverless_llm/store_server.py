"""Starts ServerlessLLM Store's gRPC server on loopback, without its CLI's heavy imports.

    python -m vllm_serverless_llm.store_server --storage-path MODEL_FOLDER --mem-pool-size 32GB
"""

import argparse
import asyncio
import sys


def parse_size(text):
    # Binary units throughout, as sllm-store's own CLI reads them: its chunks are read with
    # O_DIRECT and must stay multiples of the block size.
    units = {"": 1, "B": 1, "KB": 2**10, "MB": 2**20, "GB": 2**30, "TB": 2**40,
             "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
    t = text.strip().upper()
    digits = t.rstrip("KMGTIB")
    unit = t[len(digits):]
    if not digits or unit not in units:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a size such as 32GB or 128MB")
    return int(float(digits) * units[unit])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--storage-path", required=True)
    p.add_argument("--mem-pool-size", type=parse_size, default=parse_size("4GB"))
    p.add_argument("--chunk-size", type=parse_size, default=parse_size("32MB"))
    p.add_argument("--num-thread", type=int, default=4)
    p.add_argument("--port", type=int, default=8073)
    a = p.parse_args(argv)
    from sllm_store.server import serve

    print(f"sllm-store: serving {a.storage_path} on 127.0.0.1:{a.port} "
          f"(pool {a.mem_pool_size / 2**30:.1f} GiB, chunk {a.chunk_size >> 20} MiB, {a.num_thread} threads)", flush=True)
    asyncio.run(serve(host="127.0.0.1", port=a.port, storage_path=a.storage_path, num_thread=a.num_thread,
                      chunk_size=a.chunk_size, mem_pool_size=a.mem_pool_size, registration_required=False))


if __name__ == "__main__":
    sys.exit(main())
