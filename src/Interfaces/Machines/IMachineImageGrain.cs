namespace CimiGrains.Machines;

/// <summary>A MachineImage, keyed <c>{tenantId}/{localId}</c>.</summary>
public interface IMachineImageGrain : ICimiResourceGrain<MachineImage>;
