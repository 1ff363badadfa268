import Foundation

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

    public func tokenizerJSON() -> [String: Any] {
        let table = Self.byteToUnicode()
        var vocab: [String: Int] = [:]
        for b in 0..<256 { vocab[String(table[b])] = b }
        vocab["<|begin_of_text|>"] = bosID
        vocab["<|end_of_text|>"] = eosID
        func special(_ id: Int, _ s: String) -> [String: Any] {
            ["id": id, "content": s, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true]
        }
        return [
            "version": "1.0", "truncation": NSNull(), "padding": NSNull(),
            "added_tokens": [special(bosID, "<|begin_of_text|>"), special(eosID, "<|end_of_text|>")],
            "normalizer": NSNull(),
            "pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true],
            "post_processor": ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true],
            "decoder": ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true],
            "model": ["type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "continuing_subword_prefix": NSNull(),
                      "end_of_word_suffix": NSNull(), "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                      "vocab": vocab, "merges": [String]()],
        ]
    }

    public func tokenizerConfigJSON() -> [String: Any] {
        ["tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<|begin_of_text|>", "eos_token": "<|end_of_text|>",
         "model_max_length": 131_072, "clean_up_tokenization_spaces": false]
    }
}
