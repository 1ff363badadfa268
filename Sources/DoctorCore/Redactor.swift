import Foundation
import SystemProbes
import Runbook
import Basics

/// Replaces secret values wherever they would be printed. Every renderer passes its final
/// text through one of these, so no code path can forget.
public struct Redactor: Sendable {
    public let secrets: [String]
    public init(secrets: [String]) {
        // Longest first, so a token that contains another is masked whole. Very short values
        // would mask ordinary words, and are not real tokens.
        self.secrets = Array(Set(secrets.filter { $0.count >= 4 })).sorted { $0.count > $1.count }
    }
    public func callAsFunction(_ text: String) -> String {
        var out = text
        for s in secrets where out.containsText(s) { out = out.replacingEvery(s, with: "***redacted***") }
        // Hugging Face tokens have a recognisable form: mask any, even ones no file declared.
        return Self.maskHFTokens(out)
    }

    /// Every `hf_` followed by 16 or more ASCII letters or digits (the form of Hugging Face
    /// tokens) replaced by the mask; the same as `#/hf_[A-Za-z0-9]{16,}/#` (the tests compare
    /// them), by a byte scan: building that Regex costs more than a whole `check`.
    static func maskHFTokens(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19 else { return text }
        func isAlnum(_ b: UInt8) -> Bool { (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) }
        var out: [UInt8] = []
        var changed = false
        var i = 0
        while i < bytes.count {
            if bytes[i] == 104, i + 2 < bytes.count, bytes[i + 1] == 102, bytes[i + 2] == 95 {   // "hf_"
                var j = i + 3
                while j < bytes.count && isAlnum(bytes[j]) { j += 1 }
                if j - (i + 3) >= 16 {
                    out.append(contentsOf: Array("***redacted***".utf8))
                    changed = true
                    i = j
                    continue
                }
            }
            out.append(bytes[i])
            i += 1
        }
        return changed ? String(decoding: out, as: UTF8.self) : text
    }
}
