import Testing
@testable import Fleet

@Suite("Kubernetes time stamps and the kubelet's durations")
struct KubeTimeTests {
    @Test func rfc3339AsTheAPIWritesIt() {
        #expect(KubeTime.parse("1970-01-01T00:00:00Z") == 0)
        #expect(KubeTime.parse("2026-11-20T14:00:05Z") == 1_795_183_205)
        #expect(KubeTime.parse("2026-11-20T14:00:05.250000Z") == 1_795_183_205.25)
        #expect(KubeTime.parse("2026-11-20T15:00:05+01:00") == 1_795_183_205)
        #expect(KubeTime.parse("2024-02-29T00:00:00Z") == 1_709_164_800)
        for bad in ["", "2026-11-20", "2026-11-20T14:00:05", "2026-13-20T14:00:05Z", "2026-11-20T14:00:05.Z", "yesterday", "2026-11-20T14:00:05Zjunk"] {
            #expect(KubeTime.parse(bad) == nil, "\(bad)")
        }
        #expect(KubeTime.format(1_795_183_205) == "2026-11-20T14:00:05Z")
        #expect(KubeTime.format(1_795_183_205.25) == "2026-11-20T14:00:05.250Z")
    }

    @Test func goDurations() {
        #expect(KubeTime.goDuration("1m3.2s") == 63.2)
        #expect(KubeTime.goDuration("10m2.5s") == 602.5)
        #expect(KubeTime.goDuration("850ms") == 0.85)
        #expect(KubeTime.goDuration("1h0m0s") == 3600)
        #expect(KubeTime.goDuration("0s") == 0)
        #expect(KubeTime.goDuration("3.123456789s")! > 3.1234)
        #expect(KubeTime.goDuration("12µs") == 12e-6)
        for bad in ["", "1m3.2", "3 s", "5d", "s"] { #expect(KubeTime.goDuration(bad) == nil, "\(bad)") }
    }

    @Test func spansForPeople() {
        #expect(KubeTime.span(0) == "0s")
        #expect(KubeTime.span(1.84) == "1.8s")
        #expect(KubeTime.span(45.4) == "45s")
        #expect(KubeTime.span(65) == "1m05s")
        #expect(KubeTime.span(602.5) == "10m03s")
        #expect(KubeTime.span(3720) == "1h02m")
    }
}
