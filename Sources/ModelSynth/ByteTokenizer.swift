import Basics

/// A valid byte-level BPE tokenizer (GPT-2's byte → unicode mapping, 256 byte tokens, no
/// merges) plus BOS/EOS: every text tokenizes and every id decodes, without downloading one.
public struct ByteTokenizer: Sendable {
    public var bosID = 256
    public var eosID = 257
    public init() {}

    /// GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to U+0100 and up.
    static func byteToUnicode() -> [Character] {
        var bs = Array(33...126) + Array(161...172) + Array(174...255)
        var cs = bs
        var n = 0
        for b in 0..<256 where !bs.contains(b) {
            bs.append(b); cs.append(256 + n); n += 1
        }
        var table = [Character](repeating: " ", count: 256)
        for (b, c) in zip(bs, cs) { table[b] = Character(Unicode.Scalar(c)!) }
        return table
    }

    public func tokenizerJSON() -> JSONValue {
        let table = Self.byteToUnicode()
        var vocab: [String: JSONValue] = [:]
        for b in 0..<256 { vocab[String(table[b])] = JSONValue.number(b) }
        vocab["<|begin_of_text|>"] = JSONValue.number(bosID)
        vocab["<|end_of_text|>"] = JSONValue.number(eosID)
        func special(_ id: Int, _ s: String) -> JSONValue {
            .object(["id": JSONValue.number(id), "content": .string(s), "single_word": .bool(false), "lstrip": .bool(false),
                     "rstrip": .bool(false), "normalized": .bool(false), "special": .bool(true)])
        }
        func byteLevel(prefixSpace: Bool, trimOffsets: Bool) -> JSONValue {
            .object(["type": .string("ByteLevel"), "add_prefix_space": .bool(prefixSpace), "trim_offsets": .bool(trimOffsets),
                     "use_regex": .bool(true)])
        }
        return .object([
            "version": .string("1.0"), "truncation": .null, "padding": .null,
            "added_tokens": .array([special(bosID, "<|begin_of_text|>"), special(eosID, "<|end_of_text|>")]),
            "normalizer": .null,
            "pre_tokenizer": byteLevel(prefixSpace: false, trimOffsets: true),
            "post_processor": byteLevel(prefixSpace: true, trimOffsets: false),
            "decoder": byteLevel(prefixSpace: true, trimOffsets: true),
            "model": .object(["type": .string("BPE"), "dropout": .null, "unk_token": .null, "continuing_subword_prefix": .null,
                              "end_of_word_suffix": .null, "fuse_unk": .bool(false), "byte_fallback": .bool(false),
                              "ignore_merges": .bool(false), "vocab": .object(vocab), "merges": .array([])]),
        ])
    }

    public func tokenizerConfigJSON() -> JSONValue {
        .object(["tokenizer_class": .string("PreTrainedTokenizerFast"), "bos_token": .string("<|begin_of_text|>"),
                 "eos_token": .string("<|end_of_text|>"), "model_max_length": JSONValue.number(131_072),
                 "clean_up_tokenization_spaces": .bool(false)])
    }
}
