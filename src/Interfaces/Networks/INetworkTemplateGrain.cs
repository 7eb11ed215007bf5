namespace CimiGrains.Networks;

/// <summary>A NetworkTemplate, keyed <c>{tenantId}/{localId}</c>.</summary>
public interface INetworkTemplateGrain : ICimiResourceGrain<NetworkTemplate>;
