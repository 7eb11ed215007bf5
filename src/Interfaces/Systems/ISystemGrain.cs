using CimiGrains.Machines;

namespace CimiGrains.Systems;

/// <summary>
/// A System, keyed <c>{tenantId}/{localId}</c>. Create, actions and delete answer at once with a parent Job
/// whose nested Jobs are its members'; the grain drives them as a durable saga (a reminder resumes it after a
/// crash). Get, GetInternal and Update (name, description, properties) are the generic calls; Create(System)
/// refuses (a System is made from a SystemCreate) and Delete() starts the same delete as <see cref="Delete(string, string?)"/>.
/// </summary>
public interface ISystemGrain : ICimiResourceGrain<SystemResource>
{
    /// <summary>Checks the whole template (Invalid naming the fault, nothing stored), stores the System as CREATING
    /// and starts creating its components in dependency order. <paramref name="membership"/>: the System is a
    /// component of another one.</summary>
    Task<SystemOperationResult> Create(SystemCreate create, string jobLocalId, SystemMembership? membership = null);

    /// <summary>start, stop, restart, pause or suspend every Machine and nested System that can take it, in
    /// parallel, each with a Job nested in this one. Conflict while another operation is in progress.</summary>
    Task<SystemOperationResult> Act(MachineAction action, bool force, string jobLocalId, string? parentJobLocalId = null);

    /// <summary>Deletes the members the System created (Machines and Systems first, then what they used) and
    /// lets go of those it was given, then itself.</summary>
    Task<SystemOperationResult> Delete(string jobLocalId, string? parentJobLocalId = null);

    /// <summary>The items of one member collection (<see cref="SystemMemberCollections"/>), by member id.</summary>
    Task<IReadOnlyList<CimiResource>> GetMembers(SystemMemberKind kind);

    /// <summary>Adds an existing resource of the tenant (another tenant's is NotFound) as an associated member.
    /// Conflict while an operation is in progress, or when a Machine or System is already in another System.</summary>
    Task<CimiResource> AddMember(SystemMemberKind kind, ResourceRef member);

    /// <summary>Takes a member out of the System without deleting it (NotFound when it is not a member).</summary>
    Task RemoveMember(SystemMemberKind kind, string memberLocalId);

    /// <summary>
    /// The System's current shape as a SystemTemplate, by value (what its export writes): each component of its template
    /// with the quantity of its members that still stand (none: left out), and a component per member it was given
    /// (a Machine by its configuration and image, a Volume by its capacity and format, a Network by its type and mtu, a
    /// nested System by its own shape). Passwords come back as stored, for the OVF writer, which never writes their values.
    /// </summary>
    Task<SystemTemplate> GetShape();

    /// <summary>A member Machine or System moved to <paramref name="state"/> (null: it is gone). Best effort: the
    /// System also reads its members' states from the read model when it activates and while it runs an operation.</summary>
    [Orleans.Concurrency.OneWay]
    Task OnMemberChanged(string memberId, string? state);
}
