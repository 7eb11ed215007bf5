using CimiGrains.Agents.Drivers;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Agents.Docker;

/// <summary>What CIMI gave a Machine (<see cref="MachineFiles"/>) in its container: a volume of the container's own
/// at <see cref="MachineFilesDirectory"/>, filled before the first start.</summary>
public sealed partial class DockerDriver
{
    /// <summary>Where the workload finds what CIMI gave the Machine.</summary>
    public const string MachineFilesDirectory = "/run/cimi";

    /// <summary>
    /// An anonymous volume of the container's own at <see cref="MachineFilesDirectory"/>. Why a volume:
    /// <c>docker commit</c> copies the container's filesystem but never its volumes, so a capture holds
    /// none of these files; the volume lives exactly as long as the container (every removal here passes
    /// <c>RemoveVolumes</c>), so it needs no record of its own and a kill -9 of the agent leaves nothing
    /// that outlives its Machine; and unlike a tmpfs it can be filled before the first start (the
    /// workload reads the files as it boots) and stays filled across stop and start. Unlike a bind mount
    /// of a file under the agent's state directory it works when the engine is not on the agent's
    /// filesystem. <c>NoCopy</c>: an image captured before this change may still hold another Machine's
    /// files there; the volume starts empty rather than with a copy of them, and hides them.
    /// </summary>
    private Mount MachineFilesMount(string machineKey) => new()
    {
        Type = "volume",
        Target = MachineFilesDirectory,
        VolumeOptions = new VolumeOptions
        {
            NoCopy = true,
            Labels = new Dictionary<string, string>
            {
                [ContainerNaming.MachineLabel] = machineKey,
                [ContainerNaming.HostLabel] = HostId,
            },
        },
    };

    /// <summary>
    /// Removes this host's Machine-file volumes that no container uses: left only when a container was
    /// removed behind the agent's back without its volumes (<c>docker rm -f</c> without <c>-v</c>).
    /// </summary>
    private async Task PruneMachineFilesAsync(CancellationToken ct)
    {
        try
        {
            await Engine.Volumes.PruneAsync(new VolumesPruneParameters
            {
                Filters = new Dictionary<string, IDictionary<string, bool>>
                {
                    ["label"] = new Dictionary<string, bool> { [$"{ContainerNaming.HostLabel}={HostId}"] = true },
                },
            }, ct);
        }
        catch (DockerApiException e)
        {
            LogPruneFailed(Brief(e));
        }
    }

    /// <summary>Writes the Machine's files (<see cref="MachineFiles"/>) into its <see cref="MachineFilesMount"/>
    /// (the container is created, not yet started).</summary>
    private async Task CopyMachineFilesAsync(string containerId, WorkloadSpec spec, CancellationToken ct)
    {
        var files = MachineFiles.Of(spec);
        if (files.Count == 0) return;
        using var tar = await MachineFiles.ToTarAsync(files, ct);
        // Into the volume's root: the engine writes through the mount, not into the container's layer.
        await Engine.Containers.ExtractArchiveToContainerAsync(containerId, new ContainerPathStatParameters { Path = MachineFilesDirectory }, tar, ct);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not prune unused Machine-file volumes: {Reason}")]
    private partial void LogPruneFailed(string reason);
}
