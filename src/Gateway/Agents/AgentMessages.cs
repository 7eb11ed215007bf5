using CimiGrains.Agents.Protocol;
using CimiGrains.Hosts;
using ProtoObserved = CimiGrains.Agents.Protocol.ObservedState;

namespace CimiGrains.Gateway.Agents;

/// <summary>Translates between the agent wire contract (agent.proto) and the grain records.</summary>
public static class AgentMessages
{
    public static ControllerMessage ToWire(HostCommand command)
    {
        var wire = new Command
        {
            CommandId = command.CommandId,
            MachineKey = command.MachineKey,
            Generation = command.Generation,
            Kind = (CommandKind)(int)command.Kind,
            Force = command.Force,
            CaptureImageLocation = command.CaptureImageLocation ?? "",
        };
        if (command.Spec is { } s)
        {
            wire.Spec = new CimiGrains.Agents.Protocol.MachineSpec
            {
                ImageLocation = s.ImageLocation,
                Cpu = s.Cpu,
                MemoryKib = s.MemoryKiB,
                AdminUserName = s.AdminUserName ?? "",
                AdminPassword = s.AdminPassword ?? "",
                AdminKey = s.AdminKey ?? "",
                UserData = s.UserData ?? "",
                TenantId = s.TenantId,
                StartAfterCreate = s.StartAfterCreate,
            };
        }
        return new ControllerMessage { Command = wire };
    }

    public static Hosts.ObservedState FromWire(ProtoObserved state) => state switch
    {
        ProtoObserved.Created => Hosts.ObservedState.Created,
        ProtoObserved.Running => Hosts.ObservedState.Running,
        ProtoObserved.Paused => Hosts.ObservedState.Paused,
        ProtoObserved.Stopped => Hosts.ObservedState.Stopped,
        ProtoObserved.Failed => Hosts.ObservedState.Failed,
        _ => Hosts.ObservedState.Absent,
    };

    public static HostReport FromWire(string hostId, Report report) => new(
        hostId,
        report.MachineKey,
        report.Generation,
        FromWire(report.State),
        report.CommandId is { Length: > 0 } id ? id : null,
        report.CommandId is { Length: > 0 } ? report.Succeeded : null,
        AgentText(report.Message),
        report.ResultImageLocation is { Length: > 0 } l ? l : null);

    public static HostImageStatus FromWire(string hostId, ImageStatus status) => new(
        hostId,
        status.ImageLocation,
        status.State switch
        {
            ImageState.Removed => HostImageState.Removed,
            ImageState.InUse => HostImageState.InUse,
            _ => HostImageState.Failed,
        },
        [.. status.UsedBy],
        AgentText(status.Message));

    public static HostRegistration FromWire(Register register) => new(
        register.HostId,
        register.Cpu,
        register.MemoryKib,
        register.DiskKib,
        [.. register.Drivers],
        register.Labels.ToDictionary(l => l.Key, l => l.Value),
        register.AgentVersion);

    /// <summary>
    /// A host's free text (an error from its engine) becomes a Job's statusMessage and a Machine's host
    /// status, which PostgreSQL, JSON and XML must all hold: characters CIMI text forbids (a NUL in a
    /// container runtime's message) are written as escapes here, where agent text enters the cluster,
    /// so a report can never fail the read-model write after its grain state was saved.
    /// </summary>
    private static string? AgentText(string? message) =>
        message is { Length: > 0 } m ? CimiText.Printable(m, 4000) : null;
}
