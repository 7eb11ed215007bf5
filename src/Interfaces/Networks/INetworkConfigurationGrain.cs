namespace CimiGrains.Networks;

/// <summary>A NetworkConfiguration, keyed <c>{tenantId}/{localId}</c>.</summary>
public interface INetworkConfigurationGrain : ICimiResourceGrain<NetworkConfiguration>;
