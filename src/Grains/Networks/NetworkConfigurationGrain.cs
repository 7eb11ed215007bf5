using CimiGrains.Grains.Common;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Networks;

namespace CimiGrains.Grains.Networks;

public sealed class NetworkConfigurationGrain(
    [PersistentState("networkConfiguration", "cimi")] IPersistentState<ResourceState<NetworkConfiguration>> state,
    ResourceReadModel readModel)
    : CimiResourceGrain<NetworkConfiguration>(state, readModel, NetworkConfigurationRegistration.Type.Kind), INetworkConfigurationGrain
{
    public const int MinMtu = 576, MaxMtu = 9000, DefaultMtu = 1450;

    protected override Task<NetworkConfiguration> ValidateAsync(NetworkConfiguration document) => Task.FromResult(Check(document));

    /// <summary>Checks a configuration's values (every attribute is optional: each has a default).</summary>
    public static NetworkConfiguration Check(NetworkConfiguration c)
    {
        CommonValidation.Check(c);
        if (c.NetworkType is { } type && !NetworkTypes.All.Contains(type))
            throw CimiException.Invalid($"NetworkConfiguration 'networkType' must be {string.Join(" or ", NetworkTypes.All)}, not '{type}'.");
        if (c.Mtu is { } mtu && mtu is < MinMtu or > MaxMtu)
            throw CimiException.Invalid($"NetworkConfiguration 'mtu' must be {MinMtu} to {MaxMtu} bytes, not {mtu}.");
        CommonValidation.NonBlank(c.ClassOfService, "classOfService", 256);
        if (c.Subnet is not null) Ipv4Subnet.Parse(c.Subnet, "subnet");
        return c;
    }

    /// <summary>Attributes given alongside an href override the referenced configuration's.</summary>
    public static NetworkConfiguration Merge(NetworkConfiguration referenced, NetworkConfiguration overrides) => referenced with
    {
        NetworkType = overrides.NetworkType ?? referenced.NetworkType,
        Mtu = overrides.Mtu ?? referenced.Mtu,
        ClassOfService = overrides.ClassOfService ?? referenced.ClassOfService,
        Subnet = overrides.Subnet ?? referenced.Subnet,
    };
}
