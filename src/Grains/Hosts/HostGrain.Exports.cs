using CimiGrains.Hosts;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Grains.Hosts;

/// <summary>
/// The NBD exports of this host's Volumes (docs/VOLUMES.md, "Across hosts"). The host grain is where they are
/// kept because their ports are the host's to allocate: one port per exported Volume, so each export has its own
/// key file and admits only that Volume's clients (NBD has no authorization per export). The agent gets the whole
/// list every time, so a lost or repeated message never leaves it serving what the cluster dropped.
/// </summary>
public sealed partial class HostGrain
{
    /// <summary>The ports exports use: one per exported Volume, at most this many at once per host.</summary>
    public const int FirstExportPort = 10810, ExportPortCount = 1000;

    public async Task<VolumeExport?> ExportVolume(string volumeKey, IReadOnlyList<NbdClient> clients)
    {
        var exports = state.State.Exports;
        if (clients.Count == 0)
        {
            if (!exports.Remove(volumeKey) && !_unsaved) return null;
            await Write();
            SendExports();
            return null;
        }
        if (state.State.Registration?.NbdHost is null)
            throw CimiException.Conflict($"Host '{HostId}' exports no Volumes over NBD (its agent sets no CIMI_AGENT_NBD_HOST), " +
                "so a VM on another host cannot attach its Volumes.");
        var port = exports.TryGetValue(volumeKey, out var held) ? held.Port : FreePort()
            ?? throw CimiException.Conflict($"Host '{HostId}' already exports {ExportPortCount} Volumes over NBD, the most it serves at once.");
        var export = new VolumeExport(volumeKey, port, clients.Any(c => !c.ReadOnly), [.. clients.OrderBy(c => c.Identity, StringComparer.Ordinal)]);
        if (held is null || !Same(held, export) || _unsaved)
        {
            exports[volumeKey] = export;
            await Write();
            SendExports();
        }
        return export;
    }

    public Task<string?> GetNbdHost() => Task.FromResult(state.State.Registration?.NbdHost);

    private int? FreePort()
    {
        var used = state.State.Exports.Values.Select(e => e.Port).ToHashSet();
        return Enumerable.Range(FirstExportPort, ExportPortCount).Where(p => !used.Contains(p)).Cast<int?>().FirstOrDefault();
    }

    private static bool Same(VolumeExport a, VolumeExport b) =>
        a.Port == b.Port && a.Writable == b.Writable && a.Clients.SequenceEqual(b.Clients);

    /// <summary>Best effort: a list that does not reach the agent now is sent again after its next reconciliation.</summary>
    private void SendExports()
    {
        if (_agent is not { } agent) return;
        IReadOnlyList<VolumeExport> all = [.. state.State.Exports.Values.OrderBy(e => e.VolumeKey, StringComparer.Ordinal)];
        _ = SendExportsAsync(agent, all);
    }

    private async Task SendExportsAsync(IAgentObserver agent, IReadOnlyList<VolumeExport> exports)
    {
        try
        {
            await agent.ExportVolumes(exports).WaitAsync(AgentCallTimeout);
        }
        catch (Exception e)
        {
            LogExportsNotSent(HostId, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Host {HostId}: the NBD exports did not reach the agent ({Reason}); they are sent again at its next session")]
    private partial void LogExportsNotSent(string hostId, string reason);
}
