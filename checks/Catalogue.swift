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
