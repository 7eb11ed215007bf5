namespace CimiGrains.Agents.Networks;

/// <summary>Adoption after a restart (or a kill -9 at any point): the kernel's devices against the records and the live set.</summary>
public sealed partial class LinuxNetworkPlane
{
    public async Task ReconcileAsync(IReadOnlySet<string> liveInterfaceIds, CancellationToken ct)
    {
        RequireEnabled();
        await _gate.WaitAsync(ct);
        try
        {
            Store.RemoveTemporaries();
            var links = (await LinksAsync(ct)).Select(l => l.Name).Where(PlaneNames.IsOurs).ToHashSet();
            var removed = 0;

            // Interfaces: a record outside the live set goes with its devices; a device no kept record explains
            // (or an inner veth end a crash left before it moved) is a leftover.
            var kept = new List<PlaneInterfaceRecord>();
            foreach (var record in Store.Interfaces())
            {
                if (liveInterfaceIds.Contains(record.InterfaceId)) kept.Add(record);
                else Store.DeleteInterface(record.InterfaceId);
            }
            var keptPorts = kept.Where(r => r.Complete).Select(r => r.Port).ToHashSet();
            foreach (var device in links.Where(d => d.StartsWith(PlaneNames.PeerPrefix, StringComparison.Ordinal)
                         || (d.StartsWith(PlaneNames.VethPrefix, StringComparison.Ordinal) || d.StartsWith(PlaneNames.TapPrefix, StringComparison.Ordinal)) && !keptPorts.Contains(d)))
            {
                await DeleteLinkAsync(device, ct);
                removed++;
            }

            // Networks: wanted while a kept interface uses them or a state says present.
            var states = Store.States();
            var wanted = kept.Select(r => r.NetworkId).Concat(states.Where(s => s.Present).Select(s => s.NetworkId)).ToHashSet();
            foreach (var state in states.Where(s => !wanted.Contains(s.NetworkId))) Store.DeleteState(state.NetworkId);
            var networkDevices = wanted.SelectMany(id => new[] { PlaneNames.Bridge(id), PlaneNames.Vxlan(id) }).ToHashSet();
            foreach (var device in links.Where(d => (d.StartsWith(PlaneNames.BridgePrefix, StringComparison.Ordinal) || d.StartsWith(PlaneNames.VxlanPrefix, StringComparison.Ordinal))
                         && !networkDevices.Contains(d)).OrderBy(d => d.StartsWith(PlaneNames.BridgePrefix, StringComparison.Ordinal)))
            {
                await DeleteLinkAsync(device, ct);
                removed++;
            }

            // What is kept is made whole again: bridges, entries and addresses; each complete port back on its bridge.
            foreach (var id in wanted)
            {
                if (states.FirstOrDefault(s => s.NetworkId == id && s.Present) is { } state) await BuildNetworkAsync(state, ct);
                else if (kept.FirstOrDefault(r => r.NetworkId == id) is { } record) await EnsureBridgeAsync(id, record.Vni, record.Mtu, ct);
            }
            foreach (var record in kept.Where(r => r.Complete && links.Contains(r.Port))) await AttachPortAsync(record, ct);
            await WriteRulesAsync(ct);
            LogReconciled(kept.Count, wanted.Count, removed);
        }
        finally
        {
            _gate.Release();
        }
    }
}
