using System.Text.Json;
using CimiGrains.Credentials;
using CimiGrains.Machines;
using CimiGrains.Networks;
using CimiGrains.Systems;
using CimiGrains.Volumes;

namespace CimiGrains.Grains.Systems;

/// <summary>
/// What a System makes from its expanded template, fixed by the template and the System's id alone: one
/// <see cref="PlannedMember"/> per resource, each with its local id (<see cref="SystemComponents.MemberLocalId"/>)
/// and its wave. Wave 0 holds the components that name no other; a component that names others ('#name': a Machine
/// on the System's Network, a NetworkPort on it, a Machine on that port) is one wave after the latest of them, and
/// each wave is made once the waves before it stand (<see cref="SystemTemplates.WavesOf"/>). A resumed create
/// recomputes the same plan.
/// </summary>
public sealed class SystemPlan
{
    private readonly SystemTemplate _template;
    private readonly string _systemLocalId;

    public IReadOnlyList<PlannedMember> Members { get; }

    public SystemPlan(SystemTemplate template, string systemLocalId)
    {
        _template = template;
        _systemLocalId = systemLocalId;
        var members = new List<PlannedMember>();
        var components = template.ComponentDescriptors ?? [];
        var waves = SystemTemplates.WavesOf(components);
        for (var c = 0; c < components.Count; c++)
        {
            var component = components[c];
            var kind = SystemTemplates.KindOf(component, component.Name!);
            var wave = waves[c];
            var quantity = component.Quantity ?? 1;
            for (var i = 0; i < quantity; i++)
                members.Add(new PlannedMember(c, i, quantity, component.Name!, kind, SystemComponents.MemberLocalId(systemLocalId, c, i), wave));
        }
        Members = members;
    }

    public int Waves => Members.Count == 0 ? 0 : Members.Max(m => m.Wave) + 1;

    /// <summary>The name of the <paramref name="member"/>'s resource: its component's, numbered when there are several.</summary>
    public static string NameOf(PlannedMember member) => member.Quantity == 1 ? member.Component : $"{member.Component}-{member.Instance + 1}";

    /// <summary>The component's template for one of its resources, with every '#name' replaced by the href of the
    /// named component's resource (the same instance when quantities match, else its only one).</summary>
    public T TemplateOf<T>(PlannedMember member)
    {
        var component = Component(member);
        var json = SystemTemplates.TemplateJson(component);
        SystemTemplates.VisitHrefs(json, "", (_, href) => SystemComponents.ReferencedName(href) is { } name ? HrefOf(name, member) : null);
        return json.Deserialize<T>(CimiJson.Options)!;
    }

    public MachineCreate MachineCreate(PlannedMember m) => Named(m, new MachineCreate { MachineTemplate = TemplateOf<MachineTemplate>(m) });

    public VolumeCreate VolumeCreate(PlannedMember m) => Named(m, new VolumeCreate { VolumeTemplate = TemplateOf<VolumeTemplate>(m) });

    public NetworkCreate NetworkCreate(PlannedMember m) => Named(m, new NetworkCreate { NetworkTemplate = TemplateOf<NetworkTemplate>(m) });

    public CredentialCreate CredentialCreate(PlannedMember m) => Named(m, new CredentialCreate { CredentialTemplate = TemplateOf<CredentialTemplate>(m) });

    public SystemCreate SystemCreate(PlannedMember m) => Named(m, new SystemCreate { SystemTemplate = Component(m).SystemTemplate });

    public NetworkPortCreate NetworkPortCreate(PlannedMember m) =>
        Named(m, new NetworkPortCreate { NetworkPortTemplate = TemplateOf<NetworkPortTemplate>(m) });

    public AddressCreate AddressCreate(PlannedMember m) => Named(m, new AddressCreate { AddressTemplate = TemplateOf<AddressTemplate>(m) });

    public ForwardingGroupCreate ForwardingGroupCreate(PlannedMember m) =>
        Named(m, new ForwardingGroupCreate { ForwardingGroupTemplate = TemplateOf<ForwardingGroupTemplate>(m) });

    /// <summary>A create document named after the member, with its component's description and properties.</summary>
    private T Named<T>(PlannedMember m, T create) where T : CimiResource =>
        (T)((CimiResource)create with { Name = NameOf(m), Description = Component(m).Description, Properties = Component(m).Properties });

    private ComponentDescriptor Component(PlannedMember m) => _template.ComponentDescriptors![m.ComponentIndex];

    private string HrefOf(string componentName, PlannedMember from)
    {
        var components = _template.ComponentDescriptors!;
        var index = components.ToList().FindIndex(c => c.Name == componentName);
        var target = components[index];
        var instance = (target.Quantity ?? 1) == 1 ? 0 : from.Instance;
        var kind = SystemTemplates.KindOf(target, target.Name!);
        return $"{SystemMemberCollections.Of(kind).MemberSegment}/{SystemComponents.MemberLocalId(_systemLocalId, index, instance)}";
    }
}

/// <summary>One resource of a System's plan.</summary>
public sealed record PlannedMember(int ComponentIndex, int Instance, int Quantity, string Component, SystemMemberKind Kind, string LocalId, int Wave)
{
    public string Id => $"{SystemMemberCollections.Of(Kind).MemberSegment}/{LocalId}";

    /// <summary>Where the message of a failure names it.</summary>
    public string Describe() => Quantity == 1 ? $"component '{Component}' ({Kind})" : $"component '{Component}' ({Kind} {Instance + 1} of {Quantity})";
}
