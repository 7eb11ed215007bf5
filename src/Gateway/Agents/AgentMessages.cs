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
            ResourceKind = ToWire(command.Resource),
            ResourceId = command.ResourceKey,
            // What agents that predate resource kinds read: they run Machines only.
            MachineKey = command.Resource == HostedKind.Machine ? command.ResourceKey : "",
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
            foreach (var d in s.Disks ?? [])
            {
                wire.Spec.Disks.Add(new CimiGrains.Agents.Protocol.DiskSpec
                {
                    CapacityKib = d.CapacityKiB, Format = d.Format ?? "", InitialLocation = d.InitialLocation ?? "",
                });
            }
            foreach (var v in s.Volumes ?? []) wire.Spec.Volumes.Add(ToWire(v));
            foreach (var n in s.NetworkInterfaces ?? []) wire.Spec.NetworkInterfaces.Add(ToWire(n));
        }
        if (command.Volume is { } volume)
        {
            wire.Volume = new CimiGrains.Agents.Protocol.VolumeSpec
            {
                CapacityKib = volume.CapacityKiB, Format = volume.Format, TenantId = volume.TenantId,
                ImageLocation = volume.ImageLocation ?? "", Bootable = volume.Bootable,
            };
        }
        if (command.Attachment is { } attachment) wire.Attachment = ToWire(attachment);
        if (command.NetworkInterface is { } networkInterface) wire.NetworkInterface = ToWire(networkInterface);
        return new ControllerMessage { Command = wire };
    }

    public static CimiGrains.Agents.Protocol.NetworkInterfaceSpec ToWire(Hosts.NetworkInterfaceSpec n) => new()
    {
        InterfaceId = n.InterfaceId,
        NetworkId = n.NetworkKey,
        Vni = n.Vni,
        Mac = n.Mac,
        Addresses = { n.Addresses },
        Gateway = n.Gateway ?? "",
        Dns = { n.Dns },
        Mtu = n.Mtu,
        NetworkType = n.NetworkType,
        NetworkPortKey = n.NetworkPortKey ?? "",
    };

    /// <summary>A Network's view for one host, as the agent's NetworkState (ids are the Networks' grain keys,
    /// <c>{tenantId}/{localId}</c>, as every resource_id on the wire is).</summary>
    public static ControllerMessage ToWire(NetworkHostView view)
    {
        var state = new NetworkState
        {
            NetworkId = view.NetworkKey,
            TenantId = view.TenantId,
            Vni = view.Vni,
            Mtu = view.Mtu,
            NetworkType = view.NetworkType,
            Subnet = view.Subnet,
            Gateway = view.Gateway ?? "",
            Started = view.Started,
            RoutedSubnets = { view.RoutedSubnets },
            Present = view.Present,
            Version = view.Version,
        };
        foreach (var e in view.RemoteEndpoints)
        {
            state.RemoteEndpoints.Add(new CimiGrains.Agents.Protocol.NetworkEndpoint
            {
                HostId = e.HostId, UnderlayAddress = e.UnderlayAddress, Mac = e.Mac, Addresses = { e.Addresses },
            });
        }
        return new ControllerMessage { NetworkState = state };
    }

    public static CimiGrains.Agents.Protocol.VolumeAttachment ToWire(Hosts.VolumeAttachment a) => new()
    {
        VolumeId = a.VolumeKey,
        InitialLocation = a.InitialLocation ?? "",
        ReadOnly = a.ReadOnly,
        Format = a.Format,
        CapacityKib = a.CapacityKiB,
        HostId = a.HostId,
        NbdAddress = a.NbdAddress ?? "",
        NbdExport = a.NbdExport ?? "",
        NbdIdentity = a.NbdIdentity ?? "",
        NbdPsk = a.NbdPsk ?? "",
    };

    public static Hosts.ObservedState FromWire(ProtoObserved state) => state switch
    {
        ProtoObserved.Created => Hosts.ObservedState.Created,
        ProtoObserved.Running => Hosts.ObservedState.Running,
        ProtoObserved.Paused => Hosts.ObservedState.Paused,
        ProtoObserved.Stopped => Hosts.ObservedState.Stopped,
        ProtoObserved.Failed => Hosts.ObservedState.Failed,
        _ => Hosts.ObservedState.Absent,
    };

    public static CimiGrains.Agents.Protocol.ResourceKind ToWire(HostedKind kind) => kind switch
    {
        HostedKind.Volume => CimiGrains.Agents.Protocol.ResourceKind.Volume,
        _ => CimiGrains.Agents.Protocol.ResourceKind.Machine,
    };

    public static HostedKind FromWire(CimiGrains.Agents.Protocol.ResourceKind kind) => kind switch
    {
        CimiGrains.Agents.Protocol.ResourceKind.Volume => HostedKind.Volume,
        _ => HostedKind.Machine,
    };

    /// <summary>The resource a report is about: its <c>resource_id</c>, or <c>machine_key</c> from an agent that
    /// predates resource kinds (which only ever reports Machines).</summary>
    public static string ResourceKeyOf(Report report) => report.ResourceId is { Length: > 0 } id ? id : report.MachineKey;

    /// <summary>The resource a workload realizes, read as <see cref="ResourceKeyOf(Report)"/> is.</summary>
    public static string ResourceKeyOf(Workload workload) => workload.ResourceId is { Length: > 0 } id ? id : workload.MachineKey;

    public static HostReport FromWire(string hostId, Report report) => new(
        hostId,
        ResourceKeyOf(report),
        report.Generation,
        FromWire(report.State),
        report.CommandId is { Length: > 0 } id ? id : null,
        report.CommandId is { Length: > 0 } ? report.Succeeded : null,
        AgentText(report.Message),
        report.ResultImageLocation is { Length: > 0 } l ? l : null,
        FromWire(report.ResourceKind));

    /// <summary>An agent's console answer: its text, or its reason for having none (agent text, made printable).</summary>
    public static ConsoleOutput FromWire(ConsoleTail tail) =>
        tail.Error is { Length: > 0 } error ? new ConsoleOutput(null, AgentText(error)) : new ConsoleOutput(tail.Text, null);

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
        register.AgentVersion,
        // 0 (or absent, from agents that predate the field): the deployment's ratio applies.
        register.CpuAllocationRatio != 0 ? register.CpuAllocationRatio : null,
        register.MemoryAllocationRatio != 0 ? register.MemoryAllocationRatio : null,
        register.VolumePoolKib,
        // Empty (or absent, from agents that predate Networks): the host offers no Networks.
        register.UnderlayAddress is { Length: > 0 } underlay ? underlay : null,
        NbdHost: register.NbdHost.Length > 0 ? register.NbdHost : null);

    /// <summary>
    /// A host's free text (an error from its engine) becomes a Job's statusMessage and a Machine's host
    /// status, which PostgreSQL, JSON and XML must all hold: characters CIMI text forbids (a NUL in a
    /// container runtime's message) are written as escapes here, where agent text enters the cluster,
    /// so a report can never fail the read-model write after its grain state was saved.
    /// </summary>
    private static string? AgentText(string? message) =>
        message is { Length: > 0 } m ? CimiText.Printable(m, 4000) : null;

    public static ControllerMessage ToWire(IReadOnlyList<Hosts.VolumeExport> exports)
    {
        var wire = new VolumeExports();
        foreach (var e in exports)
        {
            var export = new CimiGrains.Agents.Protocol.VolumeExport { VolumeId = e.VolumeKey, Port = e.Port, Writable = e.Writable };
            export.Clients.AddRange(e.Clients.Select(c => new CimiGrains.Agents.Protocol.NbdClient { Identity = c.Identity, Psk = c.Psk }));
            wire.Exports.Add(export);
        }
        return new ControllerMessage { VolumeExports = wire };
    }

    /// <summary>
    /// A host's samples as rows of the samples table: a Machine or Volume key <c>{tenantId}/{localId}</c>
    /// becomes the tenant and the resource's id, and only aspects CimiGrains defines for that type are kept
    /// (an agent of another build may measure more). Keys that are not a tenant's key are dropped.
    /// </summary>
    public static IReadOnlyList<Grains.Meters.StoredSample> FromWire(SampleBatch batch)
    {
        var rows = new List<Grains.Meters.StoredSample>(batch.Samples.Count * 6 + batch.Volumes.Count * 3 + batch.Ports.Count * 4);
        foreach (var sample in batch.Samples) AddRows(rows, CimiGrains.Common.ResourceKind.Machine, sample.MachineKey, sample.UnixMs, sample.Values);
        foreach (var sample in batch.Volumes) AddRows(rows, CimiGrains.Volumes.VolumeRegistration.Type.Kind, sample.VolumeKey, sample.UnixMs, sample.Values);
        foreach (var sample in batch.Ports) AddRows(rows, CimiGrains.Networks.NetworkPortRegistration.Type.Kind, sample.PortKey, sample.UnixMs, sample.Values);
        return rows;
    }

    /// <summary>One resource's reading as rows: its key split into tenant and id, the aspects its type offers kept.</summary>
    private static void AddRows(List<Grains.Meters.StoredSample> rows, CimiGrains.Common.ResourceKind kind, string key, long unixMs,
        IDictionary<string, double> values)
    {
        var slash = key.IndexOf('/');
        if (slash <= 0 || slash == key.Length - 1) return;
        var tenantId = key[..slash];
        var resourceId = kind.IdOf(key[(slash + 1)..]);
        var at = DateTimeOffset.FromUnixTimeMilliseconds(unixMs);
        foreach (var (aspect, value) in values)
        {
            if (CimiGrains.Meters.MeterAspect.ForName(aspect) is { } known && known.ResourceTypes.Contains(kind.TypeName) && double.IsFinite(value))
                rows.Add(new(tenantId, resourceId, aspect, at, value));
        }
    }
}
