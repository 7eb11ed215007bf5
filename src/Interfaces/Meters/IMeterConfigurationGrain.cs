namespace CimiGrains.Meters;

/// <summary>A MeterConfiguration, keyed <c>{tenantId}/{localId}</c>.</summary>
public interface IMeterConfigurationGrain : ICimiResourceGrain<MeterConfiguration>;
