import DoctorCore
import Runbook
import Basics

/// Every check, in the order of the runbook: configuration, secrets, disk, model files,
/// offline flags, GPU, leftovers.
public let allChecks: [any Check] = [
    EnvFileCheck(),
    EnvValuesCheck(),
    SecretsCheck(),
    StorageDevicesCheck(),
    StorageMountCheck(),
    StorageSignatureCheck(),
    StorageAzureCheck(),
    StorageFoldersCheck(),
    ModelStoreCheck(),
    ModelStoreServerCheck(),
    ModelHFCacheCheck(),
    OfflineCommonEnvCheck(),
    OfflineComposeCheck(),
    GPUCheck(),
    RuntimeComposeCheck(),
    RuntimeContainersCheck(),
    RuntimePortsCheck(),
]

/// What a snapshot restore (CRIU + cuda-checkpoint) needs besides: the tools, the kernel, the
/// rights, room for the image, an image from this kind of host, the whole model.
public let snapshotChecks: [any Check] = [
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

/// The checks a profile runs: the catalogue, and the snapshot checks with `--profile snapshot`.
public func catalogue(for profile: CheckProfile) -> [any Check] {
    profile == .snapshot ? allChecks + snapshotChecks : allChecks
}
