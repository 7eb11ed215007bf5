namespace CimiGrains.Networks;

/// <summary>A NetworkPortConfiguration, keyed <c>{tenantId}/{localId}</c>.</summary>
public interface INetworkPortConfigurationGrain : ICimiResourceGrain<NetworkPortConfiguration>;
