namespace CimiGrains.Networks;

/// <summary>A ForwardingGroupTemplate, keyed <c>{tenantId}/{localId}</c>.</summary>
public interface IForwardingGroupTemplateGrain : ICimiResourceGrain<ForwardingGroupTemplate>;
