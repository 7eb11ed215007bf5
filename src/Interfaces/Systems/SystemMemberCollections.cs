namespace CimiGrains.Systems;

/// <summary>
/// A System's member collections, stated once for the grains and the Gateway: for each member kind its
/// segment under the System (<c>systems/{id}/machines</c>), its item type and JSON array, the member's
/// resource kind, and how an item is built. An item's id is the collection's id and the member's local id.
/// </summary>
public static class SystemMemberCollections
{
    /// <summary>The property of an item that says whether the System created the member (<c>child</c>, deleted
    /// with the System) or was given it (<c>associated</c>, left alone).</summary>
    public const string RoleProperty = "cimigrains.member";

    /// <summary>The property of a child's item that names the template component it was made from.</summary>
    public const string ComponentProperty = "cimigrains.component";

    public const string Child = "child", Associated = "associated";

    /// <summary>One member collection.</summary>
    public sealed record Collection(SystemMemberKind Kind, string Segment, string ItemType, string ArrayName, string MemberSegment,
        Func<ResourceRef, CimiResource> Build, Func<CimiResource, ResourceRef?> Member)
    {
        /// <summary>The JSON name of an item's member attribute: the member kind's, camel-cased (<c>forwardingGroup</c>).</summary>
        public string MemberAttribute => char.ToLowerInvariant(Kind.ToString()[0]) + Kind.ToString()[1..];
    }

    public static readonly IReadOnlyList<Collection> All =
    [
        new(SystemMemberKind.Machine, "machines", "SystemMachine", "systemMachines", "machines",
            r => new SystemMachine { Machine = r }, i => ((SystemMachine)i).Machine),
        new(SystemMemberKind.Volume, "volumes", "SystemVolume", "systemVolumes", "volumes",
            r => new SystemVolume { Volume = r }, i => ((SystemVolume)i).Volume),
        new(SystemMemberKind.Network, "networks", "SystemNetwork", "systemNetworks", "networks",
            r => new SystemNetwork { Network = r }, i => ((SystemNetwork)i).Network),
        new(SystemMemberKind.Credential, "credentials", "SystemCredential", "systemCredentials", "credentials",
            r => new SystemCredential { Credential = r }, i => ((SystemCredential)i).Credential),
        new(SystemMemberKind.System, "systems", "SystemSystem", "systemSystems", "systems",
            r => new SystemSystem { System = r }, i => ((SystemSystem)i).System),
        new(SystemMemberKind.NetworkPort, "networkPorts", "SystemNetworkPort", "systemNetworkPorts", "networkPorts",
            r => new SystemNetworkPort { NetworkPort = r }, i => ((SystemNetworkPort)i).NetworkPort),
        new(SystemMemberKind.Address, "addresses", "SystemAddress", "systemAddresses", "addresses",
            r => new SystemAddress { Address = r }, i => ((SystemAddress)i).Address),
        new(SystemMemberKind.ForwardingGroup, "forwardingGroups", "SystemForwardingGroup", "systemForwardingGroups", "forwardingGroups",
            r => new SystemForwardingGroup { ForwardingGroup = r }, i => ((SystemForwardingGroup)i).ForwardingGroup),
    ];

    public static Collection Of(SystemMemberKind kind) => All.First(c => c.Kind == kind);

    public static Collection? OfSegment(string segment) => All.FirstOrDefault(c => c.Segment == segment);

    /// <summary>The member kind of a relative href (<c>machines/abc</c>), or null when it names no kind a System holds.</summary>
    public static (Collection Collection, string LocalId)? MemberOf(string? href)
    {
        if (href is null) return null;
        var slash = href.IndexOf('/');
        if (slash <= 0) return null;
        var collection = All.FirstOrDefault(c => c.MemberSegment == href[..slash]);
        var local = href[(slash + 1)..];
        return collection is null || local.Length is 0 or > 64 || !local.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_')
            ? null
            : (collection, local);
    }

    public static string CollectionId(string systemId, SystemMemberKind kind) => $"{systemId}/{Of(kind).Segment}";

    /// <summary>The item naming <paramref name="memberId"/> (relative) in System <paramref name="systemId"/>'s collection.</summary>
    public static CimiResource Item(string systemId, SystemMemberKind kind, string memberId, string? component, bool child)
    {
        var collection = Of(kind);
        var localId = memberId[(memberId.IndexOf('/') + 1)..];
        var properties = new Dictionary<string, string> { [RoleProperty] = child ? Child : Associated };
        if (component is not null) properties[ComponentProperty] = component;
        return collection.Build(new ResourceRef(memberId)) with
        {
            Id = $"{CollectionId(systemId, kind)}/{localId}",
            Name = component,
            Properties = properties,
        };
    }
}
