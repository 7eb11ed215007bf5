using CimiGrains.Machines;

namespace CimiGrains.Systems;

/// <summary>The System type: created from a SystemCreate with a Job; its operations are Actions fanned out to its members.</summary>
public static class SystemRegistration
{
    /// <summary>The actions a System takes: a Machine's, but capture (a System is captured as a SystemTemplate, by export).</summary>
    public static readonly IReadOnlyList<MachineAction> Actions =
        [MachineAction.Start, MachineAction.Stop, MachineAction.Restart, MachineAction.Pause, MachineAction.Suspend];

    public static readonly CimiAttributeConstraint PlacementPolicy = new("placementPolicy",
        "CimiGrains extension. How the System's Machines are placed on hosts: 'spread' (the default; the fewest of the System's Machines " +
        "per host first), 'pack' (the most first, while they fit) or 'pin' (all on the host of the first). A Machine attaching a container " +
        "Volume goes to the Volume's host whatever the policy.") { Values = SystemPlacement.All };

    /// <summary>Export of the System's current shape (its <c>GetShape</c>) as an OVF envelope, as a SystemTemplate's.</summary>
    public static readonly CimiActionDeclaration Export = new("export",
        "Export the System's current shape (what it made that still stands, what it was given) as an OVF envelope (DSP0243 1.1), as a " +
        $"SystemTemplate's export: 'format' application/ovf, no 'destination'; answered 200 with the envelope's URL in Location (the System's " +
        $"id + '/{SystemTemplateRegistration.EnvelopeSegment}'), which an import takes as its source.", OutputMessage: "none");

    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("System", "systems"),
        Record = typeof(SystemResource),
        Grain = typeof(ISystemGrain),
        CollectionArray = "systems",
        EntryPointAttribute = "systems",
        // Create, delete and actions answer 202 with a Job, and the member collections are the System's: Gateway/Systems/SystemApi.
        Routing = CimiRouting.Custom,
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "state", "systems", "machines", "credentials", "volumes", "networks",
            "networkPorts", "addresses", "forwardingGroups", "meters", "eventLog", "operations"],
        ProviderAttributes = ["state", "systems", "machines", "credentials", "volumes", "networks", "networkPorts", "addresses",
            "forwardingGroups", "systemTemplate", "placementPolicy", "meters", "eventLog"],
        Documents =
        [
            new(typeof(SystemCreate), "SystemCreate", [.. CimiTypeRegistration.CommonElements, "systemTemplate"]),
            .. SystemMemberCollections.All.Select(c => new CimiDocumentOrder(c.Build(new ResourceRef("x")).GetType(), c.ItemType,
                [.. CimiTypeRegistration.CommonElements, c.MemberAttribute, "operations"])),
        ],
        Capabilities =
        [
            new("SystemTemplateByValue", "true", "A SystemCreate may carry its SystemTemplate by value."),
            new("SystemComponentTemplateByValue", "true", "A ComponentDescriptor may carry its component's template by value."),
            new("SystemStopForce", "true", "stop and restart accept force, passed to every Machine."),
            new("SystemComponentReferences", "true",
                "CimiGrains extension. Inside a SystemTemplate, the href '#name' names the component called name, where it may stand: " +
                SystemComponents.DescribeReferences() +
                ". A component is made once every component it names stands (Networks, then their ports, addresses and groups, then " +
                "the Machines on them). Same quantities pair the i-th with the i-th; a named component of quantity 1 is shared by all " +
                "(a NetworkPort never is); anything else, a name that is not a component, one of another type, components that name " +
                "each other in a cycle, or a cycle of nested templates is refused with 400 before anything is created."),
            new("SystemChildMembers", "true",
                "CimiGrains extension. What a System creates (its members' items show cimigrains.member = child) is deleted with it; what was " +
                "added to one of its collections (cimigrains.member = associated) is only let go. A Machine or System is in at most one System."),
        ],
        Actions =
        [
            .. Actions.Select(a => new CimiActionDeclaration(a.ToString().ToLowerInvariant(),
                $"{a} every Machine and nested System of the System that can take it, in parallel, each with a Job nested in the System's" +
                (a is MachineAction.Stop or MachineAction.Restart ? "; 'force' is passed on." : "."))),
            Export,
        ],
        Constraints =
        [
            new("state", "The members' common state when every Machine and nested System is in the same one, MIXED when they differ or " +
                "there are none, CREATING, DELETING or the action's transitional state while the System runs an operation, ERROR after a " +
                "create that was rolled back.") { Values = [.. Enum.GetNames<SystemStateName>()] },
            new("systemTemplate", "CimiGrains extension. The SystemTemplate the System was created from, when it named a stored one."),
            PlacementPolicy,
        ],
    };
}
