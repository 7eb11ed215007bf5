using CimiGrains.Machines;
using CimiGrains.Networks;
using CimiGrains.Systems;
using CimiGrains.Volumes;

namespace CimiGrains.Grains.Systems;

/// <summary>The System as it stands, written as a SystemTemplate (its export): what it made, as many as still stand,
/// and what it was given, each as a component by value.</summary>
public sealed partial class SystemGrain
{
    public async Task<SystemTemplate> GetShape()
    {
        var system = Existing();
        var rows = await ReadAsync(Saved.Members.Select(Id));
        var standing = Saved.Members.Where(m => rows.ContainsKey(Id(m))).ToList();
        var components = new List<ComponentDescriptor>();
        var template = Saved.Template ?? new SystemTemplate();
        foreach (var component in template.ComponentDescriptors ?? [])
        {
            var count = standing.Count(m => m.Child && m.Component == component.Name);
            if (count > 0) components.Add(component with { Quantity = count });
        }
        foreach (var member in standing.Where(m => !m.Child))
        {
            if (await AssociatedComponentAsync(member) is { } added) components.Add(added);
        }
        // By value throughout (an associated Machine's image, a component's stored templates), as an export writes it.
        return await SystemTemplateValues.ExpandAsync(GrainFactory, TenantId, new SystemTemplate
        {
            Name = system.Name, Description = system.Description, Properties = system.Properties,
            PlacementPolicy = template.PlacementPolicy, ComponentDescriptors = components,
        });
    }

    private async Task<ComponentDescriptor?> AssociatedComponentAsync(SystemMemberRecord member)
    {
        var key = GrainKeys.Of(TenantId, member.LocalId);
        var component = new ComponentDescriptor { Name = $"{member.Kind.ToString().ToLowerInvariant()}-{member.LocalId}", Quantity = 1 };
        switch (member.Kind)
        {
            case SystemMemberKind.Machine when await GrainFactory.GetGrain<IMachineGrain>(key).GetInternal() is { } machine:
                return component with
                {
                    Type = CimiUris.TypeUri("Machine"), Description = machine.Description,
                    MachineTemplate = new MachineTemplate
                    {
                        MachineConfig = new MachineConfiguration { Cpu = machine.Cpu, Memory = machine.Memory, CpuArch = machine.CpuArch },
                        MachineImage = machine.MachineImage is { } image ? new MachineImage { Href = image.Href } : null,
                    },
                };
            case SystemMemberKind.Volume when await GrainFactory.GetGrain<IVolumeGrain>(key).GetInternal() is { } volume:
                return component with
                {
                    Type = CimiUris.TypeUri("Volume"), Description = volume.Description,
                    VolumeTemplate = new VolumeTemplate { VolumeConfig = new VolumeConfiguration { Capacity = volume.Capacity, Format = volume.Format, Type = volume.Type } },
                };
            case SystemMemberKind.Network when await GrainFactory.GetGrain<INetworkGrain>(key).GetInternal() is { } network:
                return component with
                {
                    Type = CimiUris.TypeUri("Network"), Description = network.Description,
                    NetworkTemplate = new NetworkTemplate
                    {
                        NetworkConfig = new NetworkConfiguration { NetworkType = network.NetworkType, Mtu = network.Mtu, ClassOfService = network.ClassOfService },
                    },
                };
            case SystemMemberKind.System:
                return component with
                {
                    Type = CimiUris.TypeUri("System"), SystemTemplate = await GrainFactory.GetGrain<ISystemGrain>(key).GetShape(),
                };
            default:
                // Credentials (whose password is not the System's to write) and the Network family's smaller members.
                return null;
        }
    }
}
