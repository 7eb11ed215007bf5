using CimiGrains.Grains.ReadModel;

namespace CimiGrains.Grains.Common;

/// <summary>
/// Create/read/update/delete for a stored CIMI resource. Order of effects on every write: grain state
/// to PostgreSQL first, then the read-model row, then the answer; so anything acknowledged is durable.
/// </summary>
/// <remarks>
/// A write is whole or nothing, and the grain never serves a state its read-model row does not have:
/// <list type="bullet">
/// <item>Nothing the row could not hold gets as far as the state write: every document is checked
/// against <see cref="CimiText"/> (through <see cref="CommonValidation"/> and again on the resource
/// about to be stored, which may hold values merged in from elsewhere).</item>
/// <item>When the state write fails, the activation goes back to what it held before and deactivates,
/// since storage may have taken the write without saying so; the next activation reads what is durable.</item>
/// <item>When the row write fails after the state write, the grain undoes the state write (the previous
/// resource written back, or the state cleared for a create) and puts the previous row back, then the
/// request fails: nothing was written. If the undo fails too (the database is gone), the activation
/// deactivates without serving either version, and the next activation projects the durable state
/// before it answers anything (<see cref="OnActivateAsync"/>), so by id and in the collection a client
/// sees the same resource from then on. The alternative — keeping the new state in memory and
/// re-projecting it later — would serve by id a resource the collection does not list in between.</item>
/// <item>Delete removes the row first and the state second, so a failure in between leaves a durable
/// state that the next activation projects again, never a row without a resource.</item>
/// </list>
/// </remarks>
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
        await CommitAsync(previous: null, resource);
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
        await CommitAsync(current, KeepOnUpdate(current, resource));
        return Public(state.State.Resource!);
    }

    public virtual async Task Delete()
    {
        var existing = Existing();
        try
        {
            await readModel.DeleteAsync(TenantId, kind, ResourceId);
        }
        catch
        {
            // The row may be gone although the call failed: the next activation projects it again.
            DeactivateOnIdle();
            throw;
        }
        try
        {
            await state.ClearStateAsync();
        }
        catch
        {
            state.State.Resource = existing;
            await TryAsync(Project);
            DeactivateOnIdle();
            throw;
        }
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

    /// <summary>
    /// Makes <paramref name="next"/> the resource, durably and in the read model, or leaves everything as
    /// it was (see the remarks on this class); <paramref name="previous"/> is null for a create.
    /// </summary>
    protected async Task CommitAsync(TResource? previous, TResource next)
    {
        // Last line of defence: whatever the subclass validated or merged, the row must be able to hold it.
        CimiText.CheckRecord(next);
        state.State.Resource = next;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State.Resource = previous;
            DeactivateOnIdle();
            throw;
        }
        try
        {
            await Project();
        }
        catch
        {
            await UndoAsync(previous);
            throw;
        }
    }

    private async Task UndoAsync(TResource? previous)
    {
        state.State.Resource = previous;
        var undone = previous is null
            ? await TryAsync(async () =>
            {
                await state.ClearStateAsync();
                // The failed upsert may have committed before its answer was lost.
                await readModel.DeleteAsync(TenantId, kind, ResourceId);
            })
            : await TryAsync(async () =>
            {
                await state.WriteStateAsync();
                await Project();
            });
        if (!undone) DeactivateOnIdle();
    }

    private static async Task<bool> TryAsync(Func<Task> action)
    {
        try
        {
            await action();
            return true;
        }
        catch (Exception)
        {
            // The caller decides what a failure here means; the original error is what the request reports.
            return false;
        }
    }
}
