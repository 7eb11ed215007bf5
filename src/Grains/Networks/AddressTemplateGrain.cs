using CimiGrains.Grains.Common;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Networks;

namespace CimiGrains.Grains.Networks;

public sealed class AddressTemplateGrain(
    [PersistentState("addressTemplate", "cimi")] IPersistentState<ResourceState<AddressTemplate>> state,
    ResourceReadModel readModel)
    : CimiResourceGrain<AddressTemplate>(state, readModel, AddressTemplateRegistration.Type.Kind), IAddressTemplateGrain
{
    protected override async Task<AddressTemplate> ValidateAsync(AddressTemplate document)
    {
        Check(document);
        await References.RequireAsync<INetworkGrain, Network>(GrainFactory, TenantId, NetworkRegistration.Type.Kind, "network", document.Network);
        return document;
    }

    /// <summary>Checks a template's own values: the address (when given) is a dotted quad, the rest agrees with what a Network hands out.</summary>
    public static AddressTemplate Check(AddressTemplate t)
    {
        CommonValidation.Check(t);
        if (t.Ip is { } ip && !Ipv4Subnet.TryParseAddress(ip, out _))
            throw CimiException.Invalid($"AddressTemplate 'ip' '{ip}' is not an IPv4 address (four decimal numbers, e.g. 10.42.0.7).");
        if (t.Protocol is { } protocol && protocol != "IPv4") throw CimiException.Invalid($"AddressTemplate 'protocol' must be IPv4, not '{protocol}'.");
        if (t.Allocation is { } allocation && allocation != (t.Ip is null ? "dynamic" : "static"))
            throw CimiException.Invalid($"AddressTemplate 'allocation' '{allocation}' contradicts its 'ip': an address given is static, none is dynamic.");
        foreach (var (value, name) in new[] { (t.DefaultGateway, "defaultGateway"), (t.Mask, "mask"), (t.Dns, "dns") })
        {
            if (value is not null) throw CimiException.Invalid($"AddressTemplate '{name}' is the Network's to set; leave it out.");
        }
        CommonValidation.NonBlank(t.Hostname, "hostname", 253);
        return t;
    }

    /// <summary>A template reference with attributes alongside: those given override the stored ones.</summary>
    public static AddressTemplate Merge(AddressTemplate referenced, AddressTemplate overrides) => referenced with
    {
        Ip = overrides.Ip ?? referenced.Ip,
        Hostname = overrides.Hostname ?? referenced.Hostname,
        Allocation = overrides.Allocation ?? referenced.Allocation,
        Network = overrides.Network ?? referenced.Network,
        DefaultGateway = overrides.DefaultGateway ?? referenced.DefaultGateway,
        Dns = overrides.Dns ?? referenced.Dns,
        Protocol = overrides.Protocol ?? referenced.Protocol,
        Mask = overrides.Mask ?? referenced.Mask,
    };
}
