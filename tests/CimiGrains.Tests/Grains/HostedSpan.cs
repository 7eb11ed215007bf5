using CimiGrains.Grains.Common;
using CimiGrains.Grains.Hosts;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Hosts;
using CimiGrains.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CimiGrains.Tests.Grains;

/// <summary>The lifecycle of <see cref="Span"/>, a test-only hosted resource.</summary>
[GenerateSerializer]
public enum SpanLifecycle { CREATING, READY, DELETING, ERROR }

/// <summary>A test-only resource realized on several hosts at once (as a Network will be).</summary>
[GenerateSerializer, Immutable, Alias("test.Span")]
public sealed record Span : CimiResource
{
    [Id(0)] public SpanLifecycle? State { get; init; }
}

public interface ISpanGrain : ICimiResourceGrain<Span>
{
    /// <summary>Creates the Span on <paramref name="hosts"/>; with none, the operation waits for hosts.</summary>
    Task<Job> Create(string name, IReadOnlyList<string> hosts, string jobLocalId);

    Task<Job> Delete(string jobLocalId);

    Task OnHostReport(HostReport report);

    Task OnHostLost(string hostId, string sessionId, string reason);

    /// <summary>The commands of the operation in flight (host, command id), and the fence.</summary>
    Task<(IReadOnlyList<(string HostId, string CommandId)> Commands, long Generation)> Pending();
}

[GenerateSerializer, Alias("test.state.Span")]
public sealed class SpanGrainState : HostedResourceState<Span, SpanLifecycle>
{
    [Id(0)] public IReadOnlyList<string> Wanted { get; set; } = [];
}

/// <summary>The whole grain a hosted type needs beside its records: its lifecycle, its plan and its command.</summary>
public sealed class SpanGrain(
    [PersistentState("span", "cimi")] IPersistentState<SpanGrainState> state,
    ResourceReadModel readModel,
    IOptions<HostSchedulingOptions> scheduling,
    ILogger<SpanGrain> logger)
    : HostedResourceGrain<Span, SpanGrainState, SpanLifecycle>(state, readModel, SpanKind, scheduling.Value, logger), ISpanGrain
{
    public static readonly ResourceKind SpanKind = new("Span", "spans");

    public async Task<Job> Create(string name, IReadOnlyList<string> hosts, string jobLocalId)
    {
        var now = Now;
        var span = new Span { Id = ResourceId, Name = name, Created = now, Updated = now, State = SpanLifecycle.CREATING };
        var (_, job) = await Accept(HostCommandKind.Create, SpanLifecycle.CREATING, jobLocalId, "add", false, "Creating the Span.",
            setUp: s => (s.Resource, s.Wanted) = (span, hosts));
        return job;
    }

    public async Task<Job> Delete(string jobLocalId) =>
        (await Accept(HostCommandKind.Delete, SpanLifecycle.DELETING, jobLocalId, "delete", true, "Deleting the Span.")).Job;

    public Task<(IReadOnlyList<(string HostId, string CommandId)> Commands, long Generation)> Pending() =>
        Task.FromResult<(IReadOnlyList<(string, string)>, long)>(
            ((Hosted.Pending?.Commands ?? []).Select(c => (c.HostId, c.CommandId)).ToList(), Hosted.Generation));

    protected override Task<HostPlan> PlanAsync(PendingOperation<SpanLifecycle> pending) =>
        Task.FromResult(pending.Command != HostCommandKind.Create ? HostPlan.On(Hosted.HostIds)
            : Hosted.Wanted.Count == 0 ? HostPlan.Wait("no hosts were named yet.", TimeSpan.FromMilliseconds(100))
            : HostPlan.On(Hosted.Wanted));

    protected override HostCommand BuildCommand(PendingOperation<SpanLifecycle> pending, PendingHostCommand target) =>
        new(target.CommandId, this.GetPrimaryKeyString(), Hosted.Generation, pending.Command, null, pending.Force, null);

    protected override SpanLifecycle LifecycleOf(Span span) => span.State!.Value;

    protected override Span WithLifecycle(Span span, SpanLifecycle lifecycle) => span with { State = lifecycle };

    protected override SpanLifecycle SettledState(PendingOperation<SpanLifecycle> pending) => SpanLifecycle.READY;

    protected override SpanLifecycle FailedState(PendingOperation<SpanLifecycle> pending, ObservedState? observed) =>
        pending.Command == HostCommandKind.Create ? SpanLifecycle.ERROR : pending.Before;

    protected override SpanLifecycle FromObserved(ObservedState observed, SpanLifecycle current) =>
        observed == ObservedState.Running ? SpanLifecycle.READY : SpanLifecycle.ERROR;
}
