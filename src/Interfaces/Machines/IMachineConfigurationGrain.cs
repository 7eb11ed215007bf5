namespace CimiGrains.Machines;

/// <summary>A MachineConfiguration, keyed <c>{tenantId}/{localId}</c>.</summary>
public interface IMachineConfigurationGrain : ICimiResourceGrain<MachineConfiguration>;
