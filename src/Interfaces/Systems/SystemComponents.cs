namespace CimiGrains.Systems;

/// <summary>
/// The rules of a SystemTemplate's components, stated once for the grains and ResourceMetadata.
/// <list type="bullet">
/// <item>A component's <c>type</c> is one of <see cref="Types"/>' URIs and it carries the one template of that type.</item>
/// <item>Inside a component's template, the href <c>#name</c> (a fragment: "in this template") names the component
/// called <c>name</c>, wherever an href of its type may stand in a Machine component's template: an item of its
/// <c>volumes</c> (<c>{"href": "#data", "initialLocation": "/data"}</c>), a <c>networkInterfaces</c> item's network, its
/// <c>credential</c>. When both have the same quantity, the i-th Machine gets the
/// i-th resource; when the named component has quantity 1, every Machine gets that one; anything else is refused.</item>
/// <item>A name is 1 to 64 letters, digits, '-', '_' or '.', unique in its template.</item>
/// </list>
/// </summary>
public static class SystemComponents
{
    /// <summary>The most components in one template, and the most resources one System (nested ones included) makes.</summary>
    public const int MaxComponents = 64, MaxResources = 1000;

    /// <summary>How deep Systems nest (a System in a System in a System …), counting the outermost.</summary>
    public const int MaxDepth = 4;

    /// <summary>The resource types a component may have, by type name, with the attribute holding its template.</summary>
    public static readonly IReadOnlyList<(SystemMemberKind Kind, string TypeName, string TemplateAttribute)> Types =
    [
        (SystemMemberKind.Credential, "Credential", "credentialTemplate"),
        (SystemMemberKind.Network, "Network", "networkTemplate"),
        (SystemMemberKind.Volume, "Volume", "volumeTemplate"),
        (SystemMemberKind.Machine, "Machine", "machineTemplate"),
        (SystemMemberKind.System, "System", "systemTemplate"),
    ];

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
