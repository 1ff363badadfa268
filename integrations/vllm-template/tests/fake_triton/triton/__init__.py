"""A stand-in for triton's cache key: counts how often the key is computed (no GPU here)."""
