"""The store layout rules, on real files in temporary folders (no GPU, no torch, no vLLM)."""

import json
import os
import socket
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from vllm_serverless_llm import layout  # noqa: E402
from vllm_serverless_llm.store_server import parse_size  # noqa: E402


def write_store(model_dir, rank=0, tensors=None, data=None):
    rdir = os.path.join(model_dir, f"rank_{rank}")
    os.makedirs(rdir, exist_ok=True)
    tensors = tensors if tensors is not None else {
        "model.embed_tokens.weight": [0, 4096, [32, 64], [64, 1], "torch.bfloat16"],
        "model.norm.weight": [4096, 128, [64], [1], "torch.bfloat16"],
    }
    with open(os.path.join(rdir, "tensor_index.json"), "w") as f:
        json.dump(tensors, f)
    size = data if data is not None else max(o + s for o, s, *_ in tensors.values()) if tensors else 0
    with open(os.path.join(rdir, "tensor.data_0"), "wb") as f:
        f.write(b"\1" * size)
    return rdir


class LayoutTests(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.storage = self.tmp.name
        self.model = layout.store_model_dir(self.storage, "meta-llama/Llama-3.1-8B-Instruct")

    def tearDown(self):
        self.tmp.cleanup()

    def test_storage_path_is_found_above_the_vllm_folder(self):
        self.assertEqual(layout.find_storage_path(self.model, environ={}), os.path.abspath(self.storage))
        self.assertEqual(layout.find_storage_path(self.model, environ={"SLLM_STORAGE_PATH": self.storage}),
                         os.path.abspath(self.storage))
        with self.assertRaisesRegex(layout.StoreError, "not inside a store"):
            layout.find_storage_path("/srv/models/llama", environ={})
        with self.assertRaisesRegex(layout.StoreError, "not inside the store's storage path"):
            layout.find_storage_path(self.model, explicit="/elsewhere", environ={})

    def test_model_names_are_names(self):
        for bad in ["", "/etc", "a/../../b"]:
            with self.assertRaises(layout.StoreError):
                layout.store_model_dir(self.storage, bad)

    def test_a_complete_store_reads_back(self):
        rdir = write_store(self.model)
        self.assertEqual(layout.choose_rank_dir(self.model, 0), rdir)
        index = layout.read_index(rdir)
        self.assertEqual(index["model.norm.weight"], (4096, 128, (64,), (1,), "torch.bfloat16"))
        self.assertEqual(layout.check_data(rdir, index), 4224)
        self.assertEqual(layout.model_bytes(index), 4224)
        layout.check_dtype(index, "torch.bfloat16")
        layout.check_dtype(index, "bfloat16")

    def test_every_rank_reads_a_single_full_copy(self):
        rdir = write_store(self.model)
        self.assertEqual(layout.choose_rank_dir(self.model, 3), rdir)
        write_store(self.model, rank=1)
        with self.assertRaisesRegex(layout.StoreError, "rank_3 does not exist"):
            layout.choose_rank_dir(self.model, 3)

    def test_an_unconverted_model_says_how_to_convert(self):
        with self.assertRaisesRegex(layout.StoreError, "not converted to the store format.*sllm-convert"):
            layout.choose_rank_dir(self.model, 0)

    def test_half_finished_conversions_are_named(self):
        rdir = write_store(self.model, data=100)
        with self.assertRaisesRegex(layout.StoreError, "stopped half-way"):
            layout.check_data(rdir, layout.read_index(rdir))
        os.remove(os.path.join(rdir, "tensor.data_0"))
        with self.assertRaisesRegex(layout.StoreError, "no tensor.data_0"):
            layout.check_data(rdir, layout.read_index(rdir))
        os.remove(os.path.join(rdir, "tensor_index.json"))
        with self.assertRaisesRegex(layout.StoreError, "tensor_index.json is missing"):
            layout.read_index(rdir)

    def test_broken_indexes_are_refused(self):
        for text, words in [("{}", "lists no tensors"), ("[1, 2]", "lists no tensors"), ("{not json", "not a tensor index"),
                            ('{"w": [0, 1]}', "is not \\[offset"), ('{"w": [-4, 1, [1], [1], "torch.float16"]}', "bad offset")]:
            rdir = os.path.join(self.storage, "x")
            os.makedirs(rdir, exist_ok=True)
            with open(os.path.join(rdir, "tensor_index.json"), "w") as f:
                f.write(text)
            with self.assertRaisesRegex(layout.StoreError, words, msg=text):
                layout.read_index(rdir)

    def test_dtype_mismatch_names_both_sides(self):
        rdir = write_store(self.model, tensors={
            "a": [0, 8, [2], [1], "torch.float32"], "b": [8, 8, [4], [1], "torch.bfloat16"], "ids": [16, 8, [1], [1], "torch.int64"]})
        index = layout.read_index(rdir)
        with self.assertRaisesRegex(layout.StoreError, "vLLM runs this model in torch.bfloat16 but the store holds 1 tensor\\(s\\) in torch.float32"):
            layout.check_dtype(index, "torch.bfloat16")
        self.assertEqual(layout.dtypes(index), {"torch.float32": 1, "torch.bfloat16": 1, "torch.int64": 1})

    def test_a_store_that_is_not_running_is_said_so(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        self.assertFalse(layout.store_listening(port=port))
        with self.assertRaisesRegex(layout.StoreError, f"not running on 127.0.0.1:{port}"):
            layout.require_store(self.storage, port=port)
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        try:
            self.assertTrue(layout.store_listening(port=server.getsockname()[1]))
        finally:
            server.close()

    def test_conversion_picks_shards_and_companions(self):
        src = os.path.join(self.storage, "snap")
        os.makedirs(src)
        for name in ["config.json", "tokenizer.json", "generation_config.json", "model-00001-of-00002.safetensors",
                     "model-00002-of-00002.safetensors", "model.safetensors.index.json", "README.md"]:
            with open(os.path.join(src, name), "w") as f:
                f.write("{}" if not name.endswith(".index.json") else json.dumps(
                    {"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}))
        self.assertEqual(layout.companion_files(src), ["config.json", "generation_config.json", "tokenizer.json"])
        self.assertEqual([os.path.basename(p) for p in layout.safetensors_shards(src)],
                         ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])
        os.remove(os.path.join(src, "model-00002-of-00002.safetensors"))
        with self.assertRaisesRegex(layout.StoreError, "shard\\(s\\) missing: model-00002"):
            layout.safetensors_shards(src)

    def test_sizes(self):
        self.assertEqual(parse_size("32GB"), 32 * 2**30)
        self.assertEqual(parse_size("128MiB"), 128 * 2**20)
        self.assertEqual(parse_size("1.5GB"), 3 * 2**29)
        self.assertEqual(parse_size("16MB") % 4096, 0)


if __name__ == "__main__":
    unittest.main()
