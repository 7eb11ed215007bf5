using CimiGrains.Grains.Common;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Volumes;

namespace CimiGrains.Grains.Volumes;

public sealed class VolumeConfigurationGrain(
    [PersistentState("volumeConfiguration", "cimi")] IPersistentState<ResourceState<VolumeConfiguration>> state,
    ResourceReadModel readModel)
    : CimiResourceGrain<VolumeConfiguration>(state, readModel, VolumeConfigurationRegistration.Type.Kind), IVolumeConfigurationGrain
{
    protected override Task<VolumeConfiguration> ValidateAsync(VolumeConfiguration document) =>
        Task.FromResult(Check(document, requireAll: true));

    /// <summary>Checks a configuration; by-value overrides inside a template may be partial (no capacity).</summary>
    public static VolumeConfiguration Check(VolumeConfiguration c, bool requireAll)
    {
        CommonValidation.Check(c);
        if (requireAll && c.Capacity is null) throw CimiException.Invalid("VolumeConfiguration 'capacity' (KB) is required.");
        if (c.Capacity is < 1) throw CimiException.Invalid($"VolumeConfiguration 'capacity' is in KB and must be at least 1, not {c.Capacity}.");
        if (c.Format is { } format && !VolumeFormats.All.Contains(format))
            throw CimiException.Invalid($"VolumeConfiguration 'format' must be one of {string.Join(", ", VolumeFormats.All)}, not '{format}'.");
        if (c.Type is { } type && (CommonValidation.NonBlank(type, "type", 2048) is null || !Uri.TryCreate(type, UriKind.Absolute, out _)))
            throw CimiException.Invalid($"VolumeConfiguration 'type' must be an absolute URI, not '{type}'.");
        return c;
    }

    /// <summary>Attributes given alongside an href override the referenced configuration's.</summary>
    public static VolumeConfiguration Merge(VolumeConfiguration referenced, VolumeConfiguration overrides) => referenced with
    {
        Type = overrides.Type ?? referenced.Type,
        Format = overrides.Format ?? referenced.Format,
        Capacity = overrides.Capacity ?? referenced.Capacity,
    };
}
