"""The `serverless_llm` load format for vLLM: weights come from a running ServerlessLLM Store
(sllm-store, 127.0.0.1:8073), which reads them from disk with O_DIRECT into its pinned pool and
copies them to the GPU; vLLM then takes them into the model's parameters.

Two store contents are understood:
- names of vLLM's own parameters (a store written from a loaded vLLM model, as ServerlessLLM's
  patched vLLM did): copied parameter by parameter;
- Hugging Face checkpoint names (a store converted from safetensors by `sllm-convert`): handed
  to the model's own `load_weights`, which fuses and shards them as for safetensors.
"""

import os
import time

import torch
import torch.nn as nn
from vllm.config import ModelConfig
from vllm.config.load import LoadConfig
from vllm.logger import init_logger
from vllm.model_executor.model_loader.base_loader import BaseModelLoader

from . import layout

# Under "vllm." so that vLLM's own log configuration prints it (and the anatomy reads it).
logger = init_logger("vllm.plugins.serverless_llm")


def _tensor_parallel_rank():
    try:
        from vllm.distributed import get_tensor_model_parallel_rank
        return get_tensor_model_parallel_rank()
    except Exception:  # not initialised: a single process
        return 0


class ServerlessLLMLoader(BaseModelLoader):
    def __init__(self, load_config: LoadConfig):
        super().__init__(load_config)
        extra = load_config.model_loader_extra_config
        extra = extra if isinstance(extra, dict) else {}
        self.storage_path = extra.get("storage_path")
        address = str(extra.get("store_address", f"{layout.STORE_HOST}:{layout.STORE_PORT}"))
        host, _, port = address.rpartition(":")
        self.store_host, self.store_port = host or layout.STORE_HOST, int(port)

    def _locate(self, model_config: ModelConfig):
        model_dir = model_config.model_weights or model_config.model
        storage = layout.find_storage_path(model_dir, self.storage_path)
        rdir = layout.choose_rank_dir(model_dir, _tensor_parallel_rank())
        index = layout.read_index(rdir)
        layout.check_data(rdir, index)
        layout.check_dtype(index, model_config.dtype)
        return storage, rdir, index

    def download_model(self, model_config: ModelConfig) -> None:
        # Nothing to download: the store is local. Validate it now, before any GPU work.
        self._locate(model_config)

    def load_weights(self, model: nn.Module, model_config: ModelConfig) -> None:
        started = time.perf_counter()
        storage, rdir, index = self._locate(model_config)
        layout.require_store(storage, self.store_host, self.store_port)
        # Imported here: sllm_store's extensions need CUDA, and vLLM imports loaders early.
        from sllm_store.torch import load_dict

        device = torch.cuda.current_device()
        relative = os.path.relpath(rdir, storage)
        state = load_dict(relative, {"": device}, storage)
        from_store = time.perf_counter()

        params = dict(model.named_parameters())
        if set(state) <= set(params):
            for name, tensor in state.items():
                params[name].data.copy_(tensor)
            how = "by vLLM parameter name"
        else:
            model.load_weights(iter(state.items()))
            how = "through the model's load_weights (checkpoint names)"
        # The store's GPU buffers are freed with the last reference to them.
        del state
        torch.cuda.synchronize()
        done = time.perf_counter()
        gib = layout.model_bytes(index) / 2**30
        logger.info("Loading weights took %.2f seconds", done - started)
        logger.info(
            "ServerlessLLM Store: %.2f GiB of %s in %.2f s (store to GPU %.2f s, %.1f GiB/s; into the model %.2f s, %s)",
            gib, relative, done - started, from_store - started, gib / max(from_store - started, 1e-9),
            done - from_store, how)
