import Basics

/// A decoder-only transformer's shape, enough to write every tensor a real checkpoint has.
public struct ModelShape: Sendable {
    public var name: String
    public var architecture: String      // HF "architectures" entry
    public var modelType: String
    public var vocab: Int
    public var hidden: Int
    public var layers: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public var intermediate: Int
    public var tieEmbeddings: Bool
    public var qkNorm: Bool              // Qwen3's per-head q_norm / k_norm
    public var maxPositions: Int
    public var ropeTheta: Double
    public var rmsEps: Double

    public static let all: [String: ModelShape] = [
        "tiny": ModelShape(name: "tiny", architecture: "LlamaForCausalLM", modelType: "llama", vocab: 512, hidden: 64, layers: 2,
                           heads: 4, kvHeads: 2, headDim: 16, intermediate: 128, tieEmbeddings: false, qkNorm: false,
                           maxPositions: 2048, ropeTheta: 10000, rmsEps: 1e-5),
        "qwen3-0.6b": ModelShape(name: "qwen3-0.6b", architecture: "Qwen3ForCausalLM", modelType: "qwen3", vocab: 151_936, hidden: 1024,
                                 layers: 28, heads: 16, kvHeads: 8, headDim: 128, intermediate: 3072, tieEmbeddings: true, qkNorm: true,
                                 maxPositions: 40960, ropeTheta: 1_000_000, rmsEps: 1e-6),
        "llama-3.1-8b": ModelShape(name: "llama-3.1-8b", architecture: "LlamaForCausalLM", modelType: "llama", vocab: 128_256, hidden: 4096,
                                   layers: 32, heads: 32, kvHeads: 8, headDim: 128, intermediate: 14336, tieEmbeddings: false, qkNorm: false,
                                   maxPositions: 131_072, ropeTheta: 500_000, rmsEps: 1e-5),
    ]

    public struct Tensor: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        /// Norm weights are ones (as trained models are near 1); the rest small random values.
        public var isNorm: Bool
        public var bytes: Int { shape.reduce(2, *) }   // bf16
    }

    /// Every tensor, in the order HF checkpoints list them.
    public var tensors: [Tensor] {
        var t: [Tensor] = [Tensor(name: "model.embed_tokens.weight", shape: [vocab, hidden], isNorm: false)]
        for i in 0..<layers {
            let p = "model.layers.\(i)."
            t.append(Tensor(name: p + "input_layernorm.weight", shape: [hidden], isNorm: true))
            t.append(Tensor(name: p + "mlp.down_proj.weight", shape: [hidden, intermediate], isNorm: false))
            t.append(Tensor(name: p + "mlp.gate_proj.weight", shape: [intermediate, hidden], isNorm: false))
            t.append(Tensor(name: p + "mlp.up_proj.weight", shape: [intermediate, hidden], isNorm: false))
            t.append(Tensor(name: p + "post_attention_layernorm.weight", shape: [hidden], isNorm: true))
            if qkNorm { t.append(Tensor(name: p + "self_attn.k_norm.weight", shape: [headDim], isNorm: true)) }
            t.append(Tensor(name: p + "self_attn.k_proj.weight", shape: [kvHeads * headDim, hidden], isNorm: false))
            t.append(Tensor(name: p + "self_attn.o_proj.weight", shape: [hidden, heads * headDim], isNorm: false))
            if qkNorm { t.append(Tensor(name: p + "self_attn.q_norm.weight", shape: [headDim], isNorm: true)) }
            t.append(Tensor(name: p + "self_attn.q_proj.weight", shape: [heads * headDim, hidden], isNorm: false))
            t.append(Tensor(name: p + "self_attn.v_proj.weight", shape: [kvHeads * headDim, hidden], isNorm: false))
        }
        t.append(Tensor(name: "model.norm.weight", shape: [hidden], isNorm: true))
        if !tieEmbeddings { t.append(Tensor(name: "lm_head.weight", shape: [vocab, hidden], isNorm: false)) }
        return t
    }

    public var totalBytes: Int { tensors.reduce(0) { $0 + $1.bytes } }

    public func configJSON(tokenizer: ByteTokenizer) -> JSONValue {
        func int(_ n: Int) -> JSONValue { JSONValue.number(n) }
        var c: [String: JSONValue] = [
            "architectures": .array([.string(architecture)]), "model_type": .string(modelType), "vocab_size": int(vocab),
            "hidden_size": int(hidden), "num_hidden_layers": int(layers), "num_attention_heads": int(heads),
            "num_key_value_heads": int(kvHeads), "head_dim": int(headDim), "intermediate_size": int(intermediate),
            "tie_word_embeddings": .bool(tieEmbeddings), "max_position_embeddings": int(maxPositions),
            "rope_theta": JSONValue.number(ropeTheta), "rms_norm_eps": JSONValue.number(rmsEps), "hidden_act": .string("silu"),
            "torch_dtype": .string("bfloat16"), "attention_bias": .bool(false), "attention_dropout": JSONValue.number(0.0),
            "initializer_range": JSONValue.number(0.02), "use_cache": .bool(true),
            "bos_token_id": int(tokenizer.bosID), "eos_token_id": int(tokenizer.eosID),
            "_sllm_doctor_synthetic": .string("random weights of the \(name) shape; text output is meaningless"),
        ]
        if modelType == "llama" { c["mlp_bias"] = .bool(false); c["pretraining_tp"] = int(1) }
        return .object(c)
    }
}
