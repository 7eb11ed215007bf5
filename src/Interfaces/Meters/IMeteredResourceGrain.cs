namespace CimiGrains.Meters;

/// <summary>
/// The Meters of one resource, keyed <c>{tenantId}/{resourceId}</c> (<c>t1/machines/abc</c>): what the
/// resource's <c>meters</c> collection lists, what is deleted with the resource, and where a batch of
/// the resource's samples is turned into alarm checks (one call per resource and batch, not per sample).
/// </summary>
public interface IMeteredResourceGrain : IGrainWithStringKey
{
    /// <summary>Adds a Meter of the resource, with its aspect's name (<see cref="MeterAspect.Name"/>).</summary>
    Task Add(string meterId, string aspect);

    Task Remove(string meterId);

    Task<IReadOnlyList<string>> MeterIds();

    /// <summary>The latest value per aspect name (<see cref="MeterAspect.Name"/>) in a batch just stored.</summary>
    Task Observe(IReadOnlyDictionary<string, double> latest, DateTimeOffset at);

    /// <summary>Deletes every Meter of the resource (the resource is being deleted).</summary>
    Task DeleteAll();
}
