using CimiGrains.Grains.Common;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Networks;

namespace CimiGrains.Grains.Networks;

/// <summary>
/// A NetworkPort. One a lease made (<see cref="NetworkPort.Resource"/> set when made) is its Network's and goes with
/// the interface; one a consumer created is counted by its Network (which then refuses to be deleted) until the
/// consumer deletes it, and an interface may name it. Its Network keeps its state in step with its own.
/// </summary>
public sealed class NetworkPortGrain(
    [PersistentState("networkPort", "cimi")] IPersistentState<ResourceState<NetworkPort>> state,
    ResourceReadModel readModel)
    : CimiResourceGrain<NetworkPort>(state, readModel, NetworkPortRegistration.Type.Kind), INetworkPortGrain
{
    public const string DefaultPortType = "ACCESS";

    public override Task<NetworkPort> Create(NetworkPort document) =>
        throw CimiException.Invalid("A NetworkPort is created by POSTing a NetworkPortCreate (with a 'networkPortTemplate' naming its Network).");

    public async Task<NetworkPort> Create(NetworkPortCreate create)
    {
        if (State.State.Resource is not null) throw CimiException.Conflict($"NetworkPort '{ResourceId}' already exists.");
        CommonValidation.Check(create);
        var given = create.NetworkPortTemplate
            ?? throw CimiException.Invalid("NetworkPortCreate needs a 'networkPortTemplate' (by reference, by value, or both) naming a 'network'.");
        var template = await References.ResolveOrValueAsync<INetworkPortTemplateGrain, NetworkPortTemplate>(
            GrainFactory, TenantId, NetworkPortTemplateRegistration.Type.Kind, "networkPortTemplate", given, NetworkPortTemplateGrain.Merge);
        CommonValidation.Check(template!);
        var config = await References.ResolveOrValueAsync<INetworkPortConfigurationGrain, NetworkPortConfiguration>(
            GrainFactory, TenantId, NetworkPortConfigurationRegistration.Type.Kind, "networkPortTemplate.networkPortConfig",
            template!.NetworkPortConfig, NetworkPortConfigurationGrain.Merge);
        if (config is not null) NetworkPortConfigurationGrain.Check(config);
        var networkLocalId = NetworkRegistration.Type.Kind.LocalIdOf(template.Network?.Href)
            ?? throw CimiException.Invalid("The network port template needs a 'network' (…/networks/<id>) to make the port on.");
        var network = GrainFactory.GetGrain<INetworkGrain>(GrainKeys.Of(TenantId, networkLocalId));
        if (await network.GetInternal() is null)
            throw CimiException.MissingReference($"'networkPortTemplate.network' references Network '{template.Network!.Href}', which does not exist.");
        // The Network counts the port first (and answers its state); it never calls this port back for it.
        var networkState = await network.AddPort(this.GetPrimaryKeyString());
        var now = Now;
        var port = new NetworkPort
        {
            Id = ResourceId, Name = create.Name, Description = create.Description, Properties = create.Properties, Created = now, Updated = now,
            State = networkState, Network = new ResourceRef(NetworkRegistration.Type.Kind.IdOf(networkLocalId)),
            PortType = config?.PortType ?? DefaultPortType, ClassOfService = config?.ClassOfService,
        };
        try
        {
            await CommitAsync(port);
        }
        catch
        {
            await TryAsync(() => network.RemovePort(this.GetPrimaryKeyString()));
            throw;
        }
        return Public(port);
    }

    public async Task Record(NetworkPort port)
    {
        var now = Now;
        var current = State.State.Resource;
        await CommitAsync(port with
        {
            Href = null, Id = ResourceId, Created = current?.Created ?? now, Updated = now, Operations = null,
            Name = current?.Name ?? port.Name, Description = current?.Description ?? port.Description, Properties = current?.Properties,
        });
    }

    public async Task Forget()
    {
        if (State.State.Resource is not null) await RemoveAsync();
    }

    public override async Task Delete()
    {
        var port = Existing();
        if (NetworkRegistration.Type.Kind.LocalIdOf(port.Network?.Href) is { } networkLocalId)
            // Conflict there when the port is a lease's, or an interface uses it.
            await GrainFactory.GetGrain<INetworkGrain>(GrainKeys.Of(TenantId, networkLocalId)).RemovePort(this.GetPrimaryKeyString());
        await RemoveAsync();
    }

    /// <summary>Only name, description and properties are the consumer's to change.</summary>
    protected override Task<NetworkPort> ValidateAsync(NetworkPort document)
    {
        CommonValidation.Check(document);
        return Task.FromResult(Existing() with { Name = document.Name, Description = document.Description, Properties = document.Properties });
    }

    protected override string? StateOf(NetworkPort resource) => resource.State?.ToString();

    protected override NetworkPort Public(NetworkPort port) => port with
    {
        Operations = port.Resource is null ? [new("edit", ResourceId), new("delete", ResourceId)] : [new("edit", ResourceId)],
        EventLog = new ResourceRef(CimiGrains.Events.EventLogIds.ForResource(ResourceId)),
        Meters = new ResourceRef(CimiGrains.Meters.MeterRegistration.MetersOf(ResourceId)),
    };
}
