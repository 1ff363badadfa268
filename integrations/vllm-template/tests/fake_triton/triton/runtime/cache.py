import functools
import os

COMPUTED_BY = []


@functools.lru_cache()
def triton_key():
    COMPUTED_BY.append(os.getpid())
    return "fake-key"
