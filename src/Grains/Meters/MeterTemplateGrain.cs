using CimiGrains.Grains.Common;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Meters;
using Microsoft.Extensions.Options;

namespace CimiGrains.Grains.Meters;

public sealed class MeterTemplateGrain(
    [PersistentState("meterTemplate", "cimi")] IPersistentState<ResourceState<MeterTemplate>> state,
    ResourceReadModel readModel,
    IOptions<MeterSampleOptions> options)
    : CimiResourceGrain<MeterTemplate>(state, readModel, MeterTemplateRegistration.Type.Kind), IMeterTemplateGrain
{
    protected override async Task<MeterTemplate> ValidateAsync(MeterTemplate document)
    {
        CommonValidation.Check(document);
        if (document.MeterConfig is null) throw CimiException.Invalid("A MeterTemplate needs a 'meterConfig' (by reference or by value).");
        // Resolved to check it (a dangling or foreign href is a 400), stored as the consumer gave it.
        var config = await References.ResolveOrValueAsync<IMeterConfigurationGrain, MeterConfiguration>(GrainFactory, TenantId,
            MeterConfigurationRegistration.Type.Kind, "meterConfig", document.MeterConfig, MeterChecks.Merge);
        MeterConfigurationGrain.Check(config!, options.Value.SamplingPeriodSeconds, partial: false);
        if (document.TargetResource is { } target) await MeterTargets.ResolveAsync(ReadModel, TenantId, target.Href, config!.Aspect!);
        return document;
    }
}
