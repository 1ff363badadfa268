"""What `import vllm` costs, for the loopback stand-in: FAKE_VLLM_IMPORT_DELAY seconds, paid once
per interpreter. A fresh `python fake_vllm.py` pays it; a server forked from a template that
already imported this module does not (the template's effect, in kind)."""
import os
import time

delay = float(os.environ.get("FAKE_VLLM_IMPORT_DELAY") or 0)
if delay > 0:
    time.sleep(delay)
loaded_at = time.time()
loaded_by = os.getpid()
