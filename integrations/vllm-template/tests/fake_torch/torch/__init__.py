"""A stand-in for torch's CUDA state, for the template's tests (no torch on CPU CI): only
`torch.cuda.init()` and `torch.cuda.is_initialized()`, which is all the template asks."""
import types

_initialised = False


def _init():
    global _initialised
    _initialised = True


cuda = types.SimpleNamespace(init=_init, is_initialized=lambda: _initialised)
