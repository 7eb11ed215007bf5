using System.Net;
using CimiGrains.Agents.Drivers;
using CimiGrains.Hosts;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace CimiGrains.Agents.Docker;

/// <summary>The Docker driver's images: captures (<c>docker commit</c>), removals, and exact resolution of
/// the image a Machine boots from.</summary>
public sealed partial class DockerDriver
{
    public async Task<string> CaptureAsync(string machineKey, string imageLocation, CancellationToken ct)
    {
        var c = await RequireAsync(machineKey, ct);
        if (c.Mounts?.Any(m => m.Destination == MachineFilesDirectory && m.Type == "volume") != true)
        {
            // A container made before the files had a volume of their own holds its credential and userData
            // in its filesystem: committing it would hand them to whoever boots the image.
            throw new DriverException(
                $"The container of {machineKey} keeps its credential and userData in its own filesystem (it predates their separate volume); " +
                "a capture would copy them into the image. Create the Machine anew to capture it.");
        }
        var (repository, tag) = ContainerNaming.SplitReference(ContainerNaming.ImageReference(imageLocation));
        await Engine.Images.CommitContainerChangesAsync(new CommitContainerChangesParameters
        {
            ContainerID = c.ID,
            RepositoryName = repository,
            Tag = tag,
            Comment = $"CimiGrains capture of {machineKey}",
            // Pausing (the default) gives a consistent filesystem; a paused container is left paused.
            Pause = true,
        }, ct);
        return new ImageLocation(DriverName, $"{repository}:{tag}").ToString();
    }

    public async Task<IReadOnlyList<string>> RemoveImageAsync(string imageLocation, CancellationToken ct)
    {
        var image = ContainerNaming.ImageReference(imageLocation);
        // Never forced: a forced removal would untag an image that stopped containers still need.
        for (var attempt = 0; ; attempt++)
        {
            var users = await ContainersUsingAsync(image, ct);
            if (users.Count > 0) return users;
            try
            {
                await Engine.Images.DeleteImageAsync(image, new ImageDeleteParameters { Force = false, NoPrune = false }, ct);
                LogImageRemoved(image);
                return [];
            }
            catch (DockerImageNotFoundException)
            {
                return [];
            }
            catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.Conflict && attempt < 2)
            {
                // A container was created from it meanwhile: look again.
            }
            catch (DockerApiException e)
            {
                throw new DriverException($"Docker refused to remove the image '{image}': {Brief(e)}", e);
            }
        }
    }

    private async Task<IReadOnlyList<string>> ContainersUsingAsync(string image, CancellationToken ct)
    {
        IList<ContainerListResponse> containers;
        try
        {
            containers = await Engine.Containers.ListContainersAsync(new ContainersListParameters
            {
                All = true,
                Filters = new Dictionary<string, IDictionary<string, bool>> { ["ancestor"] = new Dictionary<string, bool> { [image] = true } },
            }, ct);
        }
        catch (DockerApiException e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest)
        {
            // The engine rejects an ancestor filter naming an image it does not have.
            return [];
        }
        return containers
            .Select(c => c.Labels is { } l && l.TryGetValue(ContainerNaming.MachineLabel, out var key) ? key : c.Names.FirstOrDefault()?.TrimStart('/') ?? c.ID)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// The full id of the image an imageLocation names exactly. The reference must be a tagged name or a
    /// full id (<see cref="ContainerNaming.ImageReference"/>), and the image the engine finds must carry that
    /// very name or id: the engine's own lookup falls back to matching id prefixes, and no image is to be
    /// picked that way. The container is then created from the id, so the name cannot move in between.
    /// </summary>
    private async Task<string> ResolveImageAsync(string imageLocation, CancellationToken ct)
    {
        var reference = ContainerNaming.ImageReference(imageLocation);
        ImageInspectResponse found;
        try
        {
            found = await Engine.Images.InspectImageAsync(reference, ct);
        }
        catch (DockerImageNotFoundException e)
        {
            throw new DriverException($"The Docker image '{reference}' is not on host '{HostId}' (no registry is used; build or load it there).", e);
        }
        var exact = ContainerNaming.IsFullImageId(reference)
            ? string.Equals(found.ID, reference, StringComparison.OrdinalIgnoreCase)
            : found.RepoTags?.Any(t => Familiar(t) == Familiar(reference)) == true;
        if (!exact)
            throw new DriverException($"The Docker image '{reference}' is not on host '{HostId}' under exactly that name.");
        return found.ID;
    }

    /// <summary>A reference in the short form the engine lists tags in (<c>docker.io/library/x:t</c> is <c>x:t</c>).</summary>
    private static string Familiar(string reference)
    {
        var r = reference.StartsWith("docker.io/", StringComparison.Ordinal) ? reference["docker.io/".Length..] : reference;
        return r.StartsWith("library/", StringComparison.Ordinal) ? r["library/".Length..] : r;
    }
}
