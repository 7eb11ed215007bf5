namespace CimiGrains.Machines;

/// <summary>A MachineTemplate, keyed <c>{tenantId}/{localId}</c>.</summary>
public interface IMachineTemplateGrain : ICimiResourceGrain<MachineTemplate>;
