import DoctorCore
import Runbook

/// A check of the runbook's facts about a host.
public typealias RunbookCheck = any Check<RunbookFacts>

/// The checks a profile runs, in the order of the runbook (configuration, secrets, disk, model
/// files, offline flags, GPU, leftovers), each built with what this profile expects of a host;
/// with `--profile snapshot`, the snapshot checks after them.
public func catalogue(for profile: CheckProfile) -> [RunbookCheck] {
    let layout = profile.layout
    let prebaked = profile == .prebaked
    let runbook: [RunbookCheck] = [
        EnvFileCheck(settingsFromPod: prebaked),
        EnvValuesCheck(layout: layout),
        SecretsCheck(),
        StorageDevicesCheck(layout: layout),
        StorageMountCheck(layout: layout),
        StorageSignatureCheck(),
        StorageAzureCheck(layout: layout),
        StorageFoldersCheck(layout: layout),
        ModelStoreCheck(),
        ModelStoreServerCheck(),
        ModelHFCacheCheck(layout: layout),
        OfflineCommonEnvCheck(offlineRequired: prebaked),
        OfflineComposeCheck(offlineRequired: prebaked),
        GPUCheck(),
        RuntimeComposeCheck(),
        RuntimeContainersCheck(),
        RuntimePortsCheck(),
    ]
    return profile == .snapshot ? runbook + snapshotChecks : runbook
}

/// The standard profile's checks: what `fix` verifies its repairs with.
public let allChecks: [RunbookCheck] = catalogue(for: .standard)

/// What a snapshot restore (CRIU + cuda-checkpoint) needs besides: the tools, the kernel, the
/// rights, room for the image, an image from this kind of host, the whole model.
public let snapshotChecks: [RunbookCheck] = [
    SnapshotCRIUCheck(),
    SnapshotCUDAPluginCheck(),
    SnapshotCRIUKernelCheck(),
    SnapshotCUDACheckpointCheck(),
    SnapshotIOUringCheck(),
    SnapshotPrivilegesCheck(),
    SnapshotImageSpaceCheck(),
    SnapshotImageMatchCheck(),
    SnapshotModelCacheCheck(),
]
