using CimiGrains.Grains.Common;
using CimiGrains.Meters;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Grains.Meters;

/// <summary>
/// The MeterTemplates a resource's template names (DSP8009 <c>meterTemplates</c>): checked with the
/// resource's create, before anything is stored, and made into the resource's Meters once it exists.
/// </summary>
public static class TemplateMeters
{
    /// <summary>The deployment's sampling period: the shortest sampleInterval a MeterTemplate may ask for.</summary>
    public static int SamplingPeriod(IServiceProvider services) =>
        Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
            .GetRequiredService<Microsoft.Extensions.Options.IOptions<MeterSampleOptions>>(services).Value.SamplingPeriodSeconds;

    /// <summary>Each template resolved (references and their overrides, its configuration too) and checked
    /// for a resource of <paramref name="typeName"/>; a 400 names the one that fails.</summary>
    public static async Task<IReadOnlyList<MeterTemplate>> ResolveAsync(IGrainFactory grains, string tenantId, string typeName,
        IReadOnlyList<MeterTemplate>? templates, int samplingPeriod)
    {
        var resolved = new List<MeterTemplate>();
        foreach (var given in templates ?? [])
        {
            var template = (await References.ResolveOrValueAsync<IMeterTemplateGrain, MeterTemplate>(grains, tenantId,
                MeterTemplateRegistration.Type.Kind, "meterTemplates", given,
                (r, o) => r with { MeterConfig = o.MeterConfig ?? r.MeterConfig, Name = o.Name ?? r.Name }))!;
            if (template.MeterConfig is null) throw CimiException.Invalid("A MeterTemplate in 'meterTemplates' needs a 'meterConfig'.");
            var config = await References.ResolveOrValueAsync<IMeterConfigurationGrain, MeterConfiguration>(grains, tenantId,
                MeterConfigurationRegistration.Type.Kind, "meterConfig", template.MeterConfig, MeterChecks.Merge);
            config = MeterConfigurationGrain.Check(config!, samplingPeriod, partial: false);
            var aspect = MeterAspect.ForUri(config.Aspect)!;
            if (!aspect.ResourceTypes.Contains(typeName))
                throw CimiException.Invalid($"'meterTemplates': a {typeName} does not offer the aspect {aspect.Uri}.");
            resolved.Add(template with { Href = null, TargetResource = null, MeterConfig = config with { Href = null } });
        }
        return resolved;
    }

    /// <summary>Creates one Meter per template for the resource just created. A failure is logged: the
    /// templates were checked before the resource was stored, and the resource must not fail for its Meters.</summary>
    public static async Task CreateAsync(IGrainFactory grains, ILogger logger, string tenantId, string resourceId, string typeName,
        IReadOnlyList<MeterTemplate> templates)
    {
        foreach (var template in templates)
        {
            try
            {
                await grains.GetGrain<IMeterGrain>(GrainKeys.Of(tenantId, Guid.NewGuid().ToString("N")))
                    .CreateFor(new ResourceRef(resourceId), typeName, template);
            }
            catch (CimiException e)
            {
                logger.LogWarning("A Meter of {ResourceId} from its template was not created: {Reason}", resourceId, e.Message);
            }
        }
    }
}
