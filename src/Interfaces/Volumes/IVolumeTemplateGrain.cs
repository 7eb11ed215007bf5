namespace CimiGrains.Volumes;

/// <summary>A VolumeTemplate, keyed <c>{tenantId}/{localId}</c>.</summary>
public interface IVolumeTemplateGrain : ICimiResourceGrain<VolumeTemplate>;
