using CimiGrains.Grains.Meters;
using CimiGrains.Machines;
using CimiGrains.Meters;

namespace CimiGrains.Grains.Machines;

public sealed partial class MachineGrain
{
    /// <summary>
    /// The MeterTemplates the MachineCreate's template names, resolved and checked before the Machine is
    /// stored: those given alongside a template's href replace the referenced template's (as every other
    /// by-reference override does).
    /// </summary>
    private async Task<IReadOnlyList<MeterTemplate>> MeterTemplatesOfAsync(MachineTemplate given)
    {
        var templates = given.MeterTemplates;
        if (templates is null && given.Href is { } href)
        {
            var localId = ResourceKind.MachineTemplate.LocalIdOf(href);
            if (localId is not null)
                templates = (await GrainFactory.GetGrain<IMachineTemplateGrain>(GrainKeys.Of(TenantId, localId)).GetInternal())?.MeterTemplates;
        }
        return await TemplateMeters.ResolveAsync(GrainFactory, TenantId, ResourceKind.Machine.TypeName, templates,
            TemplateMeters.SamplingPeriod(ServiceProvider));
    }
}
