namespace CimiGrains.Systems;

/// <summary>
/// The rules of a SystemTemplate's components, stated once for the grains and ResourceMetadata.
/// <list type="bullet">
/// <item>A component's <c>type</c> is one of <see cref="Types"/>' URIs and it carries the one template of that type.</item>
/// <item>Inside a component's template, the href <c>#name</c> (a fragment: "in this template") names the component
/// called <c>name</c>, wherever <see cref="References"/> lets an href of its type stand: in a Machine component's template
/// an item of its <c>volumes</c> (<c>{"href": "#data", "initialLocation": "/data"}</c>), a <c>networkInterfaces</c> item's
/// network or networkPort, its <c>credential</c>; a NetworkPort's or Address's network; a ForwardingGroup's networks; a
/// Network's forwardingGroup. When both have the same quantity, the i-th resource gets the i-th one; when the named
/// component has quantity 1, every resource gets that one (but a NetworkPort, which one interface uses at a time, is
/// never shared); anything else, and a cycle, is refused.</item>
/// <item>A name is 1 to 64 letters, digits, '-', '_' or '.', unique in its template.</item>
/// </list>
/// </summary>
public static class SystemComponents
{
    /// <summary>One component type: its member kind, its type name (…/cimi/1/{TypeName}), the ComponentDescriptor attribute
    /// holding its template, and that template.</summary>
    public sealed record ComponentType(SystemMemberKind Kind, string TypeName, string TemplateAttribute, Func<ComponentDescriptor, CimiResource?> Template);

    /// <summary>The most components in one template, and the most resources one System (nested ones included) makes.</summary>
    public const int MaxComponents = 64, MaxResources = 1000;

    /// <summary>How deep Systems nest (a System in a System in a System …), counting the outermost.</summary>
    public const int MaxDepth = 4;

    /// <summary>The resource types a component may have, by type name, with the attribute holding its template and the
    /// template itself. The order is the order of ComponentDescriptor's template elements in XML.</summary>
    public static readonly IReadOnlyList<ComponentType> Types =
    [
        new(SystemMemberKind.Credential, "Credential", "credentialTemplate", c => c.CredentialTemplate),
        new(SystemMemberKind.Network, "Network", "networkTemplate", c => c.NetworkTemplate),
        new(SystemMemberKind.Volume, "Volume", "volumeTemplate", c => c.VolumeTemplate),
        new(SystemMemberKind.Machine, "Machine", "machineTemplate", c => c.MachineTemplate),
        new(SystemMemberKind.System, "System", "systemTemplate", c => c.SystemTemplate),
        new(SystemMemberKind.NetworkPort, "NetworkPort", "networkPortTemplate", c => c.NetworkPortTemplate),
        new(SystemMemberKind.Address, "Address", "addressTemplate", c => c.AddressTemplate),
        new(SystemMemberKind.ForwardingGroup, "ForwardingGroup", "forwardingGroupTemplate", c => c.ForwardingGroupTemplate),
    ];

    /// <summary>Where, in a component of kind <c>From</c>, a <c>#name</c> may stand (the attribute holding the href, its last
    /// path segment) and the kind of component it must then name. A component is made once every component it names stands.</summary>
    public static readonly IReadOnlyList<(SystemMemberKind From, string Attribute, SystemMemberKind To)> References =
    [
        // A MachineTemplate's volumes are hrefs themselves (DSP8009 MachineTemplate volume: href + initialLocation).
        (SystemMemberKind.Machine, "volumes", SystemMemberKind.Volume),
        (SystemMemberKind.Machine, "volume", SystemMemberKind.Volume),
        (SystemMemberKind.Machine, "network", SystemMemberKind.Network),
        (SystemMemberKind.Machine, "networkPort", SystemMemberKind.NetworkPort),
        (SystemMemberKind.Machine, "credential", SystemMemberKind.Credential),
        (SystemMemberKind.NetworkPort, "network", SystemMemberKind.Network),
        (SystemMemberKind.Address, "network", SystemMemberKind.Network),
        (SystemMemberKind.ForwardingGroup, "networks", SystemMemberKind.Network),
        (SystemMemberKind.Network, "forwardingGroup", SystemMemberKind.ForwardingGroup),
    ];

    /// <summary>The kind with its article, as messages name it ("an Address", "a Network").</summary>
    public static string A(SystemMemberKind kind) => ("AEIOU".Contains(kind.ToString()[0]) ? "an " : "a ") + kind;

    /// <summary>Where <see cref="References"/> lets a component be named, in words.</summary>
    public static string DescribeReferences() => string.Join("; ", References.GroupBy(r => r.From)
        .Select(g => $"{A(g.Key)} component's " + string.Join(", ", g.Select(r => $"{r.Attribute} ({A(r.To)})"))));

    /// <summary>What a <c>#name</c> at <paramref name="attribute"/> of a <paramref name="from"/> component must name, or null
    /// when no component may be named there.</summary>
    public static SystemMemberKind? ReferenceTarget(SystemMemberKind from, string attribute) =>
        References.Where(r => r.From == from && r.Attribute == attribute).Select(r => (SystemMemberKind?)r.To).FirstOrDefault();

    /// <summary>The component a <c>#name</c> href names, or null when the href is not a component reference.</summary>
    public static string? ReferencedName(string? href) => href is ['#', .. var name] ? name : null;

    public static string Reference(string name) => "#" + name;

    public static bool IsValidName(string? name) =>
        name is { Length: > 0 and <= 64 } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>The local id of the <paramref name="instance"/>-th resource of component <paramref name="component"/>
    /// (its index in the template) of System <paramref name="systemLocalId"/>: fixed by the plan, so a create that is
    /// resumed after a crash finds what it made before instead of making it twice.</summary>
    public static string MemberLocalId(string systemLocalId, int component, int instance) => $"{systemLocalId}-{component}-{instance}";

    /// <summary>The grain-key prefix of every Machine System <paramref name="systemKey"/> creates (placement's group).</summary>
    public static string PlacementGroupOf(string systemKey) => systemKey + "-";
}
