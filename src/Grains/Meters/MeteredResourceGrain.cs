using CimiGrains.Meters;

namespace CimiGrains.Grains.Meters;

/// <summary>
/// The Meters of one resource (see <see cref="IMeteredResourceGrain"/>). A resource without Meters has no
/// stored state, so the ingest's call for it costs one activation and no database work.
/// </summary>
public sealed class MeteredResourceGrain(
    [PersistentState("meteredResource", "cimi")] IPersistentState<MeteredResourceState> state,
    SampleStore samples) : Grain, IMeteredResourceGrain
{
    private string TenantId => this.GetPrimaryKeyString()[..this.GetPrimaryKeyString().IndexOf('/')];

    private string ResourceId => this.GetPrimaryKeyString()[(this.GetPrimaryKeyString().IndexOf('/') + 1)..];

    public async Task Add(string meterId, string aspect)
    {
        state.State.Meters[meterId] = aspect;
        await state.WriteStateAsync();
    }

    public async Task Remove(string meterId)
    {
        if (state.State.Meters.Remove(meterId)) await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<string>> MeterIds() => Task.FromResult<IReadOnlyList<string>>([.. state.State.Meters.Keys.Order(StringComparer.Ordinal)]);

    public async Task Observe(IReadOnlyDictionary<string, double> latest, DateTimeOffset at)
    {
        foreach (var (meterId, aspect) in state.State.Meters)
        {
            if (latest.TryGetValue(aspect, out var value)) await Meter(meterId).Observe(value, at);
        }
    }

    public async Task DeleteAll()
    {
        foreach (var meterId in state.State.Meters.Keys.ToList()) await Meter(meterId).DeleteWithTarget();
        if (state.RecordExists) await state.ClearStateAsync();
        // The samples go with the resource: no Meter can show them any more.
        await samples.DeleteSeriesAsync(TenantId, ResourceId, CancellationToken.None);
        DeactivateOnIdle();
    }

    private IMeterGrain Meter(string meterId) =>
        GrainFactory.GetGrain<IMeterGrain>(GrainKeys.Of(TenantId, MeterRegistration.Type.Kind.LocalIdOf(meterId)!));
}
