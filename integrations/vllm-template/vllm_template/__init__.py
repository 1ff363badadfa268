"""A warm interpreter template for vLLM servers.

A long-lived process imports torch and vLLM's serve path once, without initialising CUDA, and
forks each server start from there: the child runs `vllm serve` with its own argv, environment
and process group, and creates its own CUDA context. A restart then skips the interpreter start
and the imports (most of a warm vLLM restart), not the GPU work.
"""
__all__ = ["protocol", "template", "client"]
