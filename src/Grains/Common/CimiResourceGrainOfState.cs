using CimiGrains.Grains.ReadModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Grains.Common;

/// <summary>
/// Create/read/update/delete for a stored CIMI resource whose grain keeps <typeparamref name="TState"/>
/// (the resource and whatever else it needs). Order of effects on every write: grain state to PostgreSQL
/// first, then the read-model row, then the domain event, then the answer; so anything acknowledged is durable.
/// </summary>
/// <remarks>
/// A write is whole or nothing, and the grain never serves a state its read-model row does not have:
/// <list type="bullet">
/// <item>Nothing the row could not hold gets as far as the state write: every document is checked
/// against <see cref="CimiText"/> (through <see cref="CommonValidation"/> and again on the resource
/// about to be stored, which may hold values merged in from elsewhere).</item>
/// <item>When the state write fails, the activation goes back to what it held before (the whole state,
/// not only the resource) and <see cref="OnStateWriteFailed"/> runs: by default it deactivates, since
/// storage may have taken the write without saying so; the next activation reads what is durable.</item>
/// <item>When the row write fails after the state write, the grain undoes the state write (the previous
/// state written back, or the state cleared for a create) and puts the previous row back, then the
/// request fails: nothing was written. If the undo fails too (the database is gone), the activation
/// deactivates without serving either version, and the next activation projects the durable state
/// before it answers anything (<see cref="OnActivateAsync"/>), so by id and in the collection a client
/// sees the same resource from then on.</item>
/// <item>Delete removes the row first and the state second, so a failure in between leaves a durable
/// state that the next activation projects again, never a row without a resource.</item>
/// <item>Every create, update, delete and change of lifecycle state raises one <see cref="DomainEvent"/>
/// (<see cref="CommitAsync(Action{TState})"/> is the only way a change is stored): its sequence number
/// is part of the state write, and it goes to the <see cref="IDomainEventSink"/>s after the commit.</item>
/// </list>
/// </remarks>
public abstract class CimiResourceGrain<TResource, TState>(
    IPersistentState<TState> state,
    ResourceReadModel readModel,
    ResourceKind kind) : Grain, ICimiResourceGrain<TResource>, ISecretHolderGrain
    where TResource : CimiResource
    where TState : class, IResourceState<TResource>
{
    private TimeProvider? _clock;

    protected IPersistentState<TState> State => state;
    protected ResourceReadModel ReadModel => readModel;
    protected ResourceKind Kind => kind;
    protected string TenantId => GrainKeys.Split(this.GetPrimaryKeyString()).TenantId;
    protected string LocalId => GrainKeys.Split(this.GetPrimaryKeyString()).LocalId;
    protected string ResourceId => kind.IdOf(LocalId);

    /// <summary>The resources' clock (<see cref="HostedResourceServices.ClockKey"/>; the system clock when none is registered).</summary>
    protected TimeProvider Clock => _clock ??= ServiceProvider.GetKeyedService<TimeProvider>(HostedResourceServices.ClockKey) ?? TimeProvider.System;

    protected DateTimeOffset Now => Clock.GetUtcNow();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Resource is not null) await Project();
    }

    public virtual async Task<TResource> Create(TResource document)
    {
        if (state.State.Resource is not null) throw CimiException.Conflict($"{kind.TypeName} '{ResourceId}' already exists.");
        var validated = await ValidateAsync(document);
        var now = Now;
        var resource = validated with { Href = null, Id = ResourceId, Created = now, Updated = now, Operations = null };
        await CommitAsync(resource);
        return Public(resource);
    }

    public Task<TResource> Get() => Task.FromResult(Public(Existing()));

    public Task<TResource?> GetInternal() => Task.FromResult(state.State.Resource);

    public virtual async Task<TResource> Update(TResource document)
    {
        var current = Existing();
        var validated = await ValidateAsync(document);
        var resource = validated with
        {
            Href = null, Id = current.Id, Created = current.Created, Updated = Now, Operations = null,
        };
        await CommitAsync(KeepOnUpdate(current, resource));
        return Public(state.State.Resource!);
    }

    public virtual async Task Delete()
    {
        Existing();
        await RemoveAsync();
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

    /// <summary>Who the change being committed is for, and its correlation id (the calling request's by
    /// default); <paramref name="before"/> is the state as it was before the change.</summary>
    protected virtual (string? Principal, string? CorrelationId) EventOrigin(TState before) => (CimiRequestContext.Principal, CimiRequestContext.RequestId);

    /// <summary>Writes the current resource's public document to the read model, with the event of its last
    /// commit (recorded once however often it is written: this is how an event survives a crash between the
    /// state write and the row).</summary>
    protected Task Project() => ProjectAsync(always: true);

    /// <summary>A digest of the row this activation last wrote (document and state column), or null when unknown.</summary>
    private byte[]? _projected;

    /// <summary>
    /// Writes the row unless it would be the one this activation last wrote (<paramref name="always"/> false): a
    /// change to what the read model does not show (an operation's bookkeeping, a host session) costs no row write.
    /// </summary>
    private async Task ProjectAsync(bool always)
    {
        var resource = Public(state.State.Resource!);
        var stateColumn = StateOf(state.State.Resource!);
        var json = ResourceReadModel.Document(resource);
        var digest = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{stateColumn}\n{json}"));
        if (!always && _projected is { } known && known.AsSpan().SequenceEqual(digest)) return;
        // Unknown until the write answers: a failed upsert may or may not have landed.
        _projected = null;
        await readModel.UpsertAsync(TenantId, kind, resource, json, stateColumn, state.State.LastEvent);
        _projected = digest;
    }

    /// <summary>What a failed state write leaves: by default the activation goes (storage may hold the write).</summary>
    protected virtual void OnStateWriteFailed() => DeactivateOnIdle();

    /// <summary>The state written again as it is: the storage serializer seals its secrets under the current key.</summary>
    public async Task<bool> Reseal()
    {
        if (!state.RecordExists) return false;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            OnStateWriteFailed();
            throw;
        }
        return true;
    }

    /// <summary>Makes <paramref name="next"/> the resource, durably and in the read model, or leaves everything as it was.</summary>
    protected Task CommitAsync(TResource next) => CommitAsync(s => s.Resource = next);

    /// <summary>
    /// Applies <paramref name="change"/> to the state and makes it durable and projected, or leaves
    /// everything as it was (see the remarks on this class). The change must leave a resource.
    /// </summary>
    protected async Task CommitAsync(Action<TState> change)
    {
        var previous = (TState)state.State.Copy();
        change(state.State);
        var next = state.State.Resource ?? throw new InvalidOperationException("A commit must leave a resource; use RemoveAsync.");
        try
        {
            // Last line of defence: whatever the subclass validated or merged, the row must be able to hold it.
            CimiText.CheckRecord(next);
        }
        catch
        {
            state.State = previous;
            throw;
        }
        var domainEvent = EventFor(previous, next);
        if (domainEvent is not null)
        {
            domainEvent = domainEvent with { Sequence = previous.EventSequence + 1 };
            state.State.EventSequence = domainEvent.Sequence;
            state.State.LastEvent = domainEvent;
        }
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State = previous;
            OnStateWriteFailed();
            throw;
        }
        try
        {
            // A commit that raised an event always writes the row: the event is recorded with it.
            await ProjectAsync(always: domainEvent is not null);
        }
        catch
        {
            await UndoAsync(previous);
            throw;
        }
        if (domainEvent is not null)
        {
            await PublishAsync(domainEvent);
            await OnCommittedAsync(previous, domainEvent);
        }
    }

    /// <summary>After a change is committed and its event published (<paramref name="before"/>: the state before
    /// it): where a grain tells others that depend on it (a Machine its System). Must not throw for their sake.</summary>
    protected virtual Task OnCommittedAsync(TState before, DomainEvent domainEvent) => Task.CompletedTask;

    /// <summary>Removes the resource: the row first, then the state (see the remarks); the activation then goes.</summary>
    protected async Task RemoveAsync()
    {
        var existing = state.State.Resource!;
        var previous = (TState)state.State.Copy();
        var deleted = NewEvent(previous, DomainEventKind.Deleted, StateOf(existing), null) with { Sequence = previous.EventSequence + 1 };
        try
        {
            // The Deleted event is recorded with the row's removal (one transaction); a state that then
            // fails to clear is projected again on the next activation, with its own last event.
            await readModel.DeleteAsync(TenantId, kind, ResourceId, deleted, existing.Name);
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
            state.State = previous;
            await TryAsync(Project);
            DeactivateOnIdle();
            throw;
        }
        DeactivateOnIdle();
        await PublishAsync(deleted);
        await OnCommittedAsync(previous, deleted);
    }

    /// <summary>The one event a commit raises: Created, StateChanged, Updated, or none when the resource did not change.</summary>
    private DomainEvent? EventFor(TState previous, TResource after)
    {
        if (previous.Resource is not { } before) return NewEvent(previous, DomainEventKind.Created, null, StateOf(after));
        var (was, now) = (StateOf(before), StateOf(after));
        if (was != now) return NewEvent(previous, DomainEventKind.StateChanged, was, now);
        return Equals(before, after) ? null : NewEvent(previous, DomainEventKind.Updated, was, now);
    }

    private DomainEvent NewEvent(TState previous, DomainEventKind what, string? oldState, string? newState)
    {
        var (principal, correlation) = EventOrigin(previous);
        return new DomainEvent(TenantId, kind.TypeName, ResourceId, 0, what, oldState, newState, Now, principal, correlation);
    }

    private async Task PublishAsync(DomainEvent domainEvent)
    {
        foreach (var sink in ServiceProvider.GetServices<IDomainEventSink>())
        {
            try
            {
                await sink.PublishAsync(domainEvent);
            }
            catch (Exception e)
            {
                // The change is committed; a sink that cannot take its event must not turn it into a failure.
                ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(GetType())
                    .LogWarning(e, "Domain event {Sequence} of {ResourceId} was not taken by {Sink}", domainEvent.Sequence, ResourceId, sink.GetType().Name);
            }
        }
    }

    private async Task UndoAsync(TState previous)
    {
        state.State = previous;
        var undone = previous.Resource is null
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

    protected static async Task<bool> TryAsync(Func<Task> action)
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
