namespace CimiGrains.Meters;

/// <summary>A Meter, keyed <c>{tenantId}/{localId}</c>.</summary>
public interface IMeterGrain : ICimiResourceGrain<Meter>
{
    /// <summary>Creates the Meter from a MeterCreate (template by reference or value); its target must
    /// exist in the tenant and offer the configured aspect.</summary>
    Task<Meter> CreateFrom(MeterCreate create);

    /// <summary>Creates the Meter for a resource being made from a template that names a MeterTemplate.</summary>
    Task<Meter> CreateFor(ResourceRef target, string targetType, MeterTemplate template);

    Task<Meter> Start();

    Task<Meter> Stop();

    /// <summary>The latest value the target's host measured for the Meter's aspect: updates min/max and the alarm.</summary>
    Task Observe(double value, DateTimeOffset at);

    /// <summary>Deletes the Meter because its target is gone (no check that the target exists).</summary>
    Task DeleteWithTarget();
}
