using CimiGrains.Agents.Drivers;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace CimiGrains.Agents.Docker;

/// <summary>The Docker driver's images as portable files (the cluster image store, docs/IMAGES.md):
/// <c>docker save</c> of exactly the location's reference out, <c>docker load</c> back in under that
/// same reference.</summary>
public sealed partial class DockerDriver
{
    public async Task<bool> HasImageAsync(string imageLocation, CancellationToken ct)
    {
        try
        {
            await ResolveImageAsync(imageLocation, ct);
            return true;
        }
        catch (DriverException)
        {
            return false;
        }
    }

    public async Task ExportImageAsync(string imageLocation, Stream destination, CancellationToken ct)
    {
        // Saved by its exact name, so the archive's manifest carries the tag a load restores.
        var reference = ContainerNaming.ImageReference(imageLocation);
        await ResolveImageAsync(imageLocation, ct);
        await using var archive = await Engine.Images.SaveImageAsync(reference, ct);
        await archive.CopyToAsync(destination, ct);
    }

    public async Task ImportImageAsync(string imageLocation, Stream source, CancellationToken ct)
    {
        var messages = new LoadMessages();
        await Engine.Images.LoadImageAsync(new ImageLoadParameters { Quiet = true }, source, messages, ct);
        if (messages.Error is { } error) throw new DriverException($"Docker could not load the image for '{imageLocation}': {error}");
        var reference = ContainerNaming.ImageReference(imageLocation);
        if (await HasImageAsync(imageLocation, ct)) return;
        // An operator's archive may carry another name (or none): the image it held is given the location's.
        var image = messages.Lines.Select(l => l.StartsWith("Loaded image ID: ", StringComparison.Ordinal) ? l["Loaded image ID: ".Length..]
                : l.StartsWith("Loaded image: ", StringComparison.Ordinal) ? l["Loaded image: ".Length..] : null)
            .LastOrDefault(l => l is not null)
            ?? throw new DriverException($"Docker loaded the archive for '{imageLocation}' but did not say which image it holds.");
        if (ContainerNaming.IsFullImageId(reference))
            throw new DriverException($"The archive for '{imageLocation}' holds the image {image}, not {reference}.");
        var (repository, tag) = ContainerNaming.SplitReference(reference);
        await Engine.Images.TagImageAsync(image.Trim(), new ImageTagParameters { RepositoryName = repository, Tag = tag, Force = true }, ct);
        if (!await HasImageAsync(imageLocation, ct))
            throw new DriverException($"Docker loaded the archive for '{imageLocation}', but the image is not there under that name.");
    }

    /// <summary>What <c>docker load</c> says, gathered as it says it (Progress&lt;T&gt; would report later,
    /// on the thread pool, possibly after the load has returned).</summary>
    private sealed class LoadMessages : IProgress<JSONMessage>
    {
        private readonly List<string> _lines = [];

        public string? Error { get; private set; }

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lines) return [.. _lines];
            }
        }

        public void Report(JSONMessage value)
        {
            lock (_lines)
            {
                if (value.Stream?.Trim() is { Length: > 0 } line) _lines.Add(line);
                if (value.Error?.Message is { Length: > 0 } e) Error = e;
            }
        }
    }
}
