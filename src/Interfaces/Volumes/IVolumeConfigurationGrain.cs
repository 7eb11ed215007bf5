namespace CimiGrains.Volumes;

/// <summary>A VolumeConfiguration, keyed <c>{tenantId}/{localId}</c>.</summary>
public interface IVolumeConfigurationGrain : ICimiResourceGrain<VolumeConfiguration>;
