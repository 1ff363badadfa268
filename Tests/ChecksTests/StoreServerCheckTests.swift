import Foundation
import Testing
import TestSupport
@testable import DoctorCore
import Checks
import SystemProbes
@testable import Runbook
import Basics

/// A conversion whose data files have the given sizes, in a runbook repo.
private func storeRepo(_ tmp: TempDir, pool: String, sizes: [Int]) -> String {
    let repo = makeRunbook(tmp, extraEnv: "MEM_POOL_SIZE=\(pool)\n")
    let rank = tmp.path + "/nvme/sllm-models/vllm/meta-llama/Llama-3.1-8B-Instruct/rank_0"
    tmp.write("nvme/sllm-models/vllm/meta-llama/Llama-3.1-8B-Instruct/config.json", "{}")
    tmp.write("nvme/sllm-models/vllm/meta-llama/Llama-3.1-8B-Instruct/rank_0/tensor_index.json", "{}")
    for (i, size) in sizes.enumerated() { _ = tmp.bytes(String(rank.dropFirst(tmp.path.count + 1)) + "/tensor.data_\(i)", count: size) }
    return repo
}

@Suite("model.store-server", .serialized)
struct StoreServerCheckTests {
    func result(_ repo: String) throws -> CheckReport {
        let ctx = RunbookFacts(options: .init(root: repo))
        return try #require(try runChecks(ctx, only: ["model.store-server"])["model.store-server"])
    }

    @Test func raggedDataFilesFailBeforeTheStoreDoes() throws {
        let tmp = TempDir()
        let r = try result(storeRepo(tmp, pool: "32GB", sizes: [8192, 4006040]))
        #expect(r.result.status == .fail)
        #expect(r.result.summary.contains("rank_0/tensor.data_1 is 4006040 bytes, not a multiple of 4096"))
        #expect(r.result.evidence["o_direct"] == "supported")
    }

    @Test func aPoolSmallerThanTheModelFails() throws {
        let tmp = TempDir()
        let r = try result(storeRepo(tmp, pool: "4KB", sizes: [8192]))
        #expect(r.result.status == .fail)
        #expect(r.result.summary.contains("MEM_POOL_SIZE 3.9 KiB is smaller than the model's 8.0 KiB"))
    }

    @Test func theStoreAnsweringOn8073IsThePass() throws {
        let tmp = TempDir()
        let repo = storeRepo(tmp, pool: "1GB", sizes: [8192, 4096])
        // 8073 is fixed by sllm-store: when something else holds it here, only the warning is checked.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(8073).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
        if bound {
            #expect(listen(listener, 4) == 0)
            let r = try result(repo)
            #expect(r.result.status == .pass, "\(r.result.summary)")
            #expect(r.result.summary.contains("store answering on 8073"))
        }
        close(listener)
        if !HTTPClient.isListening(port: 8073) {
            let r = try result(repo)
            #expect(r.result.status == .warn)
            #expect(r.result.summary.contains("nothing answers on 127.0.0.1:8073"))
        }
    }
}
