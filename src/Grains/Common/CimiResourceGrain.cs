using CimiGrains.Grains.ReadModel;

namespace CimiGrains.Grains.Common;

/// <summary>
/// Create/read/update/delete for a stored CIMI resource. Order of effects on every write: grain state
/// to PostgreSQL first, then the read-model row, then the answer; so anything acknowledged is durable.
/// A crash between the two writes is healed on the next activation, which re-projects the row.
/// </summary>
public abstract class CimiResourceGrain<TResource>(
    IPersistentState<ResourceState<TResource>> state,
    ResourceReadModel readModel,
    ResourceKind kind) : Grain, ICimiResourceGrain<TResource>
    where TResource : CimiResource
{
    protected IPersistentState<ResourceState<TResource>> State => state;
    protected ResourceKind Kind => kind;
    protected string TenantId => GrainKeys.Split(this.GetPrimaryKeyString()).TenantId;
    protected string LocalId => GrainKeys.Split(this.GetPrimaryKeyString()).LocalId;
    protected string ResourceId => kind.IdOf(LocalId);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Resource is not null) await Project();
    }

    public virtual async Task<TResource> Create(TResource document)
    {
        if (state.State.Resource is not null) throw CimiException.Conflict($"{kind.TypeName} '{ResourceId}' already exists.");
        var validated = await ValidateAsync(document);
        var now = DateTimeOffset.UtcNow;
        var resource = validated with { Href = null, Id = ResourceId, Created = now, Updated = now, Operations = null };
        state.State.Resource = resource;
        await state.WriteStateAsync();
        await Project();
        return Public(resource);
    }

    public Task<TResource> Get() => Task.FromResult(Public(Existing()));

    public Task<TResource?> GetInternal() => Task.FromResult(state.State.Resource);

    public async Task<TResource> Update(TResource document)
    {
        var current = Existing();
        var validated = await ValidateAsync(document);
        var resource = validated with
        {
            Href = null, Id = current.Id, Created = current.Created, Updated = DateTimeOffset.UtcNow, Operations = null,
        };
        state.State.Resource = KeepOnUpdate(current, resource);
        await state.WriteStateAsync();
        await Project();
        return Public(state.State.Resource);
    }

    public virtual async Task Delete()
    {
        Existing();
        await state.ClearStateAsync();
        await readModel.DeleteAsync(TenantId, kind, ResourceId);
        DeactivateOnIdle();
    }

    /// <summary>Checks and normalizes a consumer document; throws <see cref="CimiException"/> (Invalid).</summary>
    protected virtual Task<TResource> ValidateAsync(TResource document) => Task.FromResult(document);

    /// <summary>Attributes an update must not lose although the consumer did not send them
    /// (for instance a write-only secret). The default keeps nothing.</summary>
    protected virtual TResource KeepOnUpdate(TResource current, TResource updated) => updated;

    /// <summary>The resource as a consumer may see it: write-only attributes removed, operations set.</summary>
    protected virtual TResource Public(TResource resource) => resource with
    {
        Operations = [new Operation("edit", ResourceId), new Operation("delete", ResourceId)],
    };

    protected TResource Existing() =>
        state.State.Resource ?? throw CimiException.NotFound($"{kind.TypeName} '{ResourceId}'");

    /// <summary>The value of the read model's <c>state</c> column for this resource, if it has a state.</summary>
    protected virtual string? StateOf(TResource resource) => null;

    /// <summary>Writes the current resource's public document to the read model.</summary>
    protected Task Project() => readModel.UpsertAsync(TenantId, kind, Public(state.State.Resource!), StateOf(state.State.Resource!));
}
