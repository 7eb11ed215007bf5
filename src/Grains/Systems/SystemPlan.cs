using System.Text.Json;
using System.Text.Json.Nodes;
using CimiGrains.Credentials;
using CimiGrains.Machines;
using CimiGrains.Networks;
using CimiGrains.Systems;
using CimiGrains.Volumes;

namespace CimiGrains.Grains.Systems;

/// <summary>
/// What a System makes from its expanded template, fixed by the template and the System's id alone: one
/// <see cref="PlannedMember"/> per resource, each with its local id (<see cref="SystemComponents.MemberLocalId"/>)
/// and its wave. Wave 0 holds the components that name no other; wave 1 those whose template names one of the
/// System's own components ('#name'), which are made once wave 0 stands. A resumed create recomputes the same plan.
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
        for (var c = 0; c < components.Count; c++)
        {
            var component = components[c];
            var kind = SystemTemplates.KindOf(component, component.Name!);
            var wave = References(component).Count > 0 ? 1 : 0;
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
        var component = _template.ComponentDescriptors![member.ComponentIndex];
        var json = SystemTemplates.TemplateJson(component);
        Resolve(json, member);
        return json.Deserialize<T>(CimiJson.Options)!;
    }

    public MachineCreate MachineCreate(PlannedMember m) => new()
    {
        Name = NameOf(m), Description = Component(m).Description, Properties = Component(m).Properties, MachineTemplate = TemplateOf<MachineTemplate>(m),
    };

    public VolumeCreate VolumeCreate(PlannedMember m) => new()
    {
        Name = NameOf(m), Description = Component(m).Description, Properties = Component(m).Properties, VolumeTemplate = TemplateOf<VolumeTemplate>(m),
    };

    public NetworkCreate NetworkCreate(PlannedMember m) => new()
    {
        Name = NameOf(m), Description = Component(m).Description, Properties = Component(m).Properties, NetworkTemplate = TemplateOf<NetworkTemplate>(m),
    };

    public CredentialCreate CredentialCreate(PlannedMember m) => new()
    {
        Name = NameOf(m), Description = Component(m).Description, Properties = Component(m).Properties,
        CredentialTemplate = TemplateOf<CredentialTemplate>(m),
    };

    public SystemCreate SystemCreate(PlannedMember m) => new()
    {
        Name = NameOf(m), Description = Component(m).Description, Properties = Component(m).Properties, SystemTemplate = Component(m).SystemTemplate,
    };

    private ComponentDescriptor Component(PlannedMember m) => _template.ComponentDescriptors![m.ComponentIndex];

    /// <summary>The components <paramref name="component"/>'s template names ('#name'); a nested System names none of its parent's.</summary>
    private static List<string> References(ComponentDescriptor component) => component.SystemTemplate is not null ? []
        : [.. SystemTemplates.HrefsOf(component).Select(h => SystemComponents.ReferencedName(h.Href)).OfType<string>()];

    private void Resolve(JsonNode? node, PlannedMember member)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                {
                    if (key == "href" && value is JsonValue v && v.TryGetValue<string>(out var href) && SystemComponents.ReferencedName(href) is { } name)
                        obj[key] = HrefOf(name, member);
                    else Resolve(value, member);
                }
                break;
            case JsonArray array:
                foreach (var item in array) Resolve(item, member);
                break;
        }
    }

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
