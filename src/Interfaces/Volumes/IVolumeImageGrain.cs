namespace CimiGrains.Volumes;

/// <summary>A VolumeImage, keyed <c>{tenantId}/{localId}</c>. A consumer registers one naming a
/// <c>volume:</c> location; a capture of a Volume is created by the Volume grain (<see cref="IVolumeGrain.Capture"/>).</summary>
public interface IVolumeImageGrain : ICimiResourceGrain<VolumeImage>;
