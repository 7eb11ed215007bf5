namespace CimiGrains.Networks;

/// <summary>A NetworkPortTemplate, keyed <c>{tenantId}/{localId}</c>.</summary>
public interface INetworkPortTemplateGrain : ICimiResourceGrain<NetworkPortTemplate>;
