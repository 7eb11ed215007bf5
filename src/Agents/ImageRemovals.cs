using CimiGrains.Agents.Drivers;
using CimiGrains.Agents.Protocol;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Agents;

/// <summary>
/// Image removals the cluster asked for (captures of deleted MachineImages), each done by the driver
/// its location's scheme names. An image that containers
/// still use is kept, never forced away from under them, and tried again whenever a container of this
/// host goes away; the agent reports it when it is finally gone. The deferred set lives in memory only:
/// the cluster repeats its outstanding removals at the start of every session, after an agent restart too.
/// </summary>
public sealed partial class ImageRemovals(HostDrivers drivers, ILogger<ImageRemovals> logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly HashSet<string> _deferred = new(StringComparer.Ordinal);

    /// <summary>Removes the image now, or defers it while containers use it.</summary>
    public async Task<ImageStatus> RemoveAsync(string imageLocation, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            return await TryRemoveAsync(imageLocation, ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Tries the deferred removals again (a container went away); returns those now done.</summary>
    public async Task<IReadOnlyList<ImageStatus>> RetryAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var done = new List<ImageStatus>();
            foreach (var location in _deferred.ToList())
            {
                var status = await TryRemoveAsync(location, ct);
                if (status.State == ImageState.Removed) done.Add(status);
            }
            return done;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<ImageStatus> TryRemoveAsync(string imageLocation, CancellationToken ct)
    {
        var status = new ImageStatus { ImageLocation = imageLocation };
        if (imageLocation.StartsWith(CimiGrains.Hosts.ImageLocation.VolumeScheme + ":", StringComparison.Ordinal))
        {
            // A volume image is never kept on a host: the pool writes it straight into the new Volume's file
            // and keeps no copy, so there is nothing here to remove (and no driver to ask).
            status.State = ImageState.Removed;
            return status;
        }
        try
        {
            var users = await drivers.ForImage(imageLocation).RemoveImageAsync(imageLocation, ct);
            if (users.Count == 0)
            {
                _deferred.Remove(imageLocation);
                status.State = ImageState.Removed;
                return status;
            }
            if (_deferred.Add(imageLocation)) LogDeferred(imageLocation, string.Join(", ", users));
            status.State = ImageState.InUse;
            status.UsedBy.AddRange(users);
            status.Message = $"Kept while {users.Count} container(s) use it; removed when the last is deleted.";
        }
        catch (Exception e) when (e is DriverException or IOException)
        {
            // Not retried here: the cluster asks again at the next session.
            _deferred.Remove(imageLocation);
            LogFailed(imageLocation, e.Message);
            status.State = ImageState.Failed;
            status.Message = e.Message;
        }
        return status;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Keeping the image {Image} while {Users} use it; it goes when they do")]
    private partial void LogDeferred(string image, string users);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove the image {Image}: {Error}")]
    private partial void LogFailed(string image, string error);
}
