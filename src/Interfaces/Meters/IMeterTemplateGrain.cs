namespace CimiGrains.Meters;

/// <summary>A MeterTemplate, keyed <c>{tenantId}/{localId}</c>.</summary>
public interface IMeterTemplateGrain : ICimiResourceGrain<MeterTemplate>;
