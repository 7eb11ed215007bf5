using CimiGrains.Events;
using CimiGrains.Grains.Events;
using CimiGrains.Grains.Meters;
using CimiGrains.Machines;
using CimiGrains.Meters;

namespace CimiGrains.Grains.Machines;

public sealed partial class MachineGrain
{
    /// <summary>
    /// The MeterTemplates and the EventLogTemplate the MachineCreate's template names, resolved and checked
    /// before the Machine is stored: those given alongside a template's href replace the referenced template's
    /// (as every other by-reference override does).
    /// </summary>
    private async Task<(IReadOnlyList<MeterTemplate> Meters, EventLogTemplate? EventLog)> TemplateMonitoringOfAsync(MachineTemplate given)
    {
        var (meters, eventLog) = (given.MeterTemplates, given.EventLogTemplate);
        if ((meters is null || eventLog is null) && ResourceKind.MachineTemplate.LocalIdOf(given.Href) is { } localId
            && await GrainFactory.GetGrain<IMachineTemplateGrain>(GrainKeys.Of(TenantId, localId)).GetInternal() is { } referenced)
            (meters, eventLog) = (meters ?? referenced.MeterTemplates, eventLog ?? referenced.EventLogTemplate);
        return (await TemplateMeters.ResolveAsync(GrainFactory, TenantId, ResourceKind.Machine.TypeName, meters, TemplateMeters.SamplingPeriod(ServiceProvider)),
            await TemplateEventLogs.ResolveAsync(GrainFactory, TenantId, eventLog, TemplateEventLogs.Retention(ServiceProvider)));
    }
}
