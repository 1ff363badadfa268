#!/usr/bin/env python3
"""Independent reader for synth-model output: safetensors' own parser and HF tokenizers.
Prints one JSON object; exits 1 on any mismatch. Usage: verify_synth.py SNAPSHOT_DIR"""
import json, os, struct, sys
from safetensors import deserialize
from tokenizers import Tokenizer

snap = sys.argv[1]
problems = []
cfg = json.load(open(os.path.join(snap, "config.json")))
index_path = os.path.join(snap, "model.safetensors.index.json")
files = sorted(f for f in os.listdir(snap) if f.endswith(".safetensors"))
weight_map = json.load(open(index_path))["weight_map"] if os.path.exists(index_path) else None
tensors = {}
for f in files:
    raw = open(os.path.join(snap, f), "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    if (8 + n) % 8:
        problems.append(f"{f}: header not 8-byte aligned")
    end = 0
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        s, e = meta["data_offsets"]
        if s != end:
            problems.append(f"{f}: {name} starts at {s}, expected {end}")
        end = e
    if 8 + n + end != len(raw):
        problems.append(f"{f}: data ends at {8 + n + end}, file has {len(raw)} bytes")
    for name, t in deserialize(raw):
        tensors[name] = (t["dtype"], list(t["shape"]), len(t["data"]), f)
        if weight_map is not None and weight_map.get(name) != f:
            problems.append(f"index maps {name} to {weight_map.get(name)}, found in {f}")
        if name.endswith("norm.weight"):
            vals = struct.unpack("<%dH" % (len(t["data"]) // 2), t["data"])
            if any(v != 0x3F80 for v in vals):
                problems.append(f"{name}: norm weights are not 1.0")
        else:
            vals = struct.unpack("<64H", t["data"][:128]) if len(t["data"]) >= 128 else ()
            if any((v & 0x7F80) == 0x7F80 for v in vals):
                problems.append(f"{name}: NaN/Inf bf16 values")
h, L = cfg["hidden_size"], cfg["num_hidden_layers"]
expect = {"model.embed_tokens.weight": [cfg["vocab_size"], h], "model.norm.weight": [h],
          "model.layers.0.self_attn.q_proj.weight": [cfg["num_attention_heads"] * cfg["head_dim"], h],
          "model.layers.0.self_attn.k_proj.weight": [cfg["num_key_value_heads"] * cfg["head_dim"], h],
          f"model.layers.{L-1}.mlp.down_proj.weight": [h, cfg["intermediate_size"]]}
for name, shape in expect.items():
    if name not in tensors:
        problems.append(f"missing {name}")
    elif tensors[name][1] != shape or tensors[name][0] not in ("BF16", "bfloat16"):
        problems.append(f"{name}: {tensors[name][:2]}, expected bfloat16 {shape}")
tok = Tokenizer.from_file(os.path.join(snap, "tokenizer.json"))
ids = tok.encode("Hello, wörld!").ids
decoded = tok.decode(ids)
if decoded.strip() != "Hello, wörld!":
    problems.append(f"tokenizer round trip gave {decoded!r}")
print(json.dumps({"tensors": len(tensors), "files": files, "token_ids": ids[:5], "problems": problems}))
sys.exit(1 if problems else 0)
