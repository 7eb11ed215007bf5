using CimiGrains.Grains.Common;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Networks;

namespace CimiGrains.Grains.Networks;

/// <summary>
/// An Address. One a lease made (<see cref="Address.Resource"/> set) is its Network's: it comes and goes with the
/// Machine's interface and a consumer cannot delete it. One a consumer reserved is released on its Network when
/// deleted. Calls go one way only, Address → Network for a reservation and Network → Address for a lease's, never
/// both for one Address, so neither waits on the other.
/// </summary>
public sealed class AddressGrain(
    [PersistentState("address", "cimi")] IPersistentState<ResourceState<Address>> state,
    ResourceReadModel readModel)
    : CimiResourceGrain<Address>(state, readModel, AddressRegistration.Type.Kind), IAddressGrain
{
    public override Task<Address> Create(Address document) =>
        throw CimiException.Invalid("An Address is reserved by POSTing an AddressCreate (with an 'addressTemplate' naming its Network).");

    public async Task<Address> Create(AddressCreate create)
    {
        if (State.State.Resource is not null) throw CimiException.Conflict($"Address '{ResourceId}' already exists.");
        CommonValidation.Check(create);
        var given = create.AddressTemplate
            ?? throw CimiException.Invalid("AddressCreate needs an 'addressTemplate' (by reference, by value, or both) naming a 'network'.");
        var template = await References.ResolveOrValueAsync<IAddressTemplateGrain, AddressTemplate>(
            GrainFactory, TenantId, AddressTemplateRegistration.Type.Kind, "addressTemplate", given, AddressTemplateGrain.Merge);
        AddressTemplateGrain.Check(template!);
        var networkLocalId = NetworkRegistration.Type.Kind.LocalIdOf(template!.Network?.Href)
            ?? throw CimiException.Invalid("The address template needs a 'network' (…/networks/<id>) to reserve the address on.");
        var network = GrainFactory.GetGrain<INetworkGrain>(GrainKeys.Of(TenantId, networkLocalId));
        if (await network.GetInternal() is null)
            throw CimiException.MissingReference($"'addressTemplate.network' references Network '{template.Network!.Href}', which does not exist.");
        var reserved = await network.ReserveAddress(this.GetPrimaryKeyString(), template.Ip);
        var now = Now;
        var address = reserved with
        {
            Id = ResourceId, Name = create.Name, Description = create.Description, Properties = create.Properties, Created = now, Updated = now,
            Hostname = template.Hostname,
        };
        try
        {
            await CommitAsync(address);
        }
        catch
        {
            await TryAsync(() => network.ReleaseAddress(this.GetPrimaryKeyString()));
            throw;
        }
        return Public(address);
    }

    public async Task Record(Address address)
    {
        var now = Now;
        var current = State.State.Resource;
        await CommitAsync(address with
        {
            Href = null, Id = ResourceId, Created = current?.Created ?? now, Updated = now, Operations = null,
            Name = current?.Name ?? address.Name, Description = current?.Description ?? address.Description, Properties = current?.Properties,
        });
    }

    public async Task Forget()
    {
        if (State.State.Resource is not null) await RemoveAsync();
    }

    public override async Task Delete()
    {
        var address = Existing();
        if (address.Resource is { } user)
            throw CimiException.Conflict($"Address '{ResourceId}' is held by '{user.Href}'; it goes when that interface is detached.");
        if (NetworkRegistration.Type.Kind.LocalIdOf(address.Network?.Href) is { } networkLocalId)
            await GrainFactory.GetGrain<INetworkGrain>(GrainKeys.Of(TenantId, networkLocalId)).ReleaseAddress(this.GetPrimaryKeyString());
        await RemoveAsync();
    }

    /// <summary>Name, description, properties and hostname are the consumer's; the rest is the Network's.</summary>
    protected override Task<Address> ValidateAsync(Address document)
    {
        CommonValidation.Check(document);
        CommonValidation.NonBlank(document.Hostname, "hostname", 253);
        return Task.FromResult(Existing() with
        {
            Name = document.Name, Description = document.Description, Properties = document.Properties, Hostname = document.Hostname,
        });
    }

    protected override Address Public(Address address) => address with
    {
        Operations = address.Resource is null ? [new("edit", ResourceId), new("delete", ResourceId)] : [new("edit", ResourceId)],
    };
}
