using CimiGrains.Grains.Common;
using CimiGrains.Meters;

namespace CimiGrains.Grains.Meters;

/// <summary>Deleting a resource deletes its Meters (DSP0263 §5.17): the resource's Deleted event reaches
/// its Meters' index, whichever family the resource is of.</summary>
public sealed class MeterTargetDeletion(IGrainFactory grains) : IDomainEventSink
{
    public async Task PublishAsync(DomainEvent domainEvent)
    {
        if (domainEvent.Kind != DomainEventKind.Deleted || !MeterAspect.OfferedBy(domainEvent.ResourceType).Any()) return;
        await grains.GetGrain<IMeteredResourceGrain>(MeteredResources.Key(domainEvent.TenantId, domainEvent.ResourceId)).DeleteAll();
    }
}
