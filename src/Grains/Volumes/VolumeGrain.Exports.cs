using System.Security.Cryptography;
using System.Text;
using CimiGrains.Hosts;
using CimiGrains.Volumes;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Grains.Volumes;

/// <summary>
/// A VM on another host attaches the Volume over NBD (docs/VOLUMES.md, "Across hosts"): the Volume's host serves
/// it on a port of its own, TLS with pre-shared keys, to exactly the Machines that hold an NBD reservation. Each
/// reservation gets its own identity and a fresh 256-bit key, so a key that leaks with one Machine's host opens
/// nothing else, and a released Machine's key stops working at once (the export's client list is rewritten).
/// </summary>
public sealed partial class VolumeGrain
{
    private async Task<VolumeAttachment> ExportForAsync(string machineKey, VolumeAttachment answer, string hostId)
    {
        var host = GrainFactory.GetGrain<IHostGrain>(hostId);
        var nbdHost = await host.GetNbdHost()
            ?? throw CimiException.Conflict($"Volume '{ResourceId}' is in the volume pool of host '{hostId}', which exports no Volumes over NBD " +
                "(its agent sets no CIMI_AGENT_NBD_HOST): only a VM on that host can attach it.");
        var client = new NbdClient(NbdIdentity(machineKey), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)), answer.ReadOnly);
        var export = await host.ExportVolume(this.GetPrimaryKeyString(), [.. NbdClients(except: machineKey), client])
            ?? throw CimiException.Conflict($"Host '{hostId}' did not export Volume '{ResourceId}'.");
        var address = nbdHost.Contains(':') ? $"[{nbdHost}]:{export.Port}" : $"{nbdHost}:{export.Port}";
        return answer with { NbdAddress = address, NbdExport = this.GetPrimaryKeyString(), NbdIdentity = client.Identity, NbdPsk = client.Psk };
    }

    /// <summary>The export after a Machine let go: the remaining NBD clients (none: the host stops serving it).
    /// Best effort: a host that is away gets the list when the Volume's exports next change.</summary>
    private async Task UnexportAsync(string hostId)
    {
        try
        {
            await GrainFactory.GetGrain<IHostGrain>(hostId).ExportVolume(this.GetPrimaryKeyString(), NbdClients(except: null));
        }
        catch (Exception e)
        {
            LogUnexportFailed(logger, ResourceId, hostId, e.Message);
        }
    }

    /// <summary>The NBD clients the stored reservations hold.</summary>
    private List<NbdClient> NbdClients(string? except) =>
        [.. Hosted.Attachments.Where(a => a.Key != except && a.Value.Answer is { NbdIdentity: not null, NbdPsk: not null })
            .Select(a => new NbdClient(a.Value.Answer.NbdIdentity!, a.Value.Answer.NbdPsk!, a.Value.ReadOnly))];

    /// <summary>A TLS identity for the Machine that names nothing (PSK identities travel in clear in the handshake).</summary>
    private static string NbdIdentity(string machineKey) =>
        "m" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(machineKey)))[..24];

    [LoggerMessage(Level = LogLevel.Warning, Message = "Volume {VolumeId}: host {HostId} did not take the export's new client list ({Reason})")]
    private static partial void LogUnexportFailed(ILogger logger, string volumeId, string hostId, string reason);
}
