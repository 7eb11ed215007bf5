using CimiGrains.Grains.Common;
using CimiGrains.Hosts;
using CimiGrains.Volumes;

namespace CimiGrains.Grains.Volumes;

/// <summary>
/// Capturing a Volume into a VolumeImage: the image is created CREATING under the location its bytes get
/// in the cluster image store (<see cref="VolumeImageLocation.Capture"/>), the Volume goes CAPTURING, and
/// its host exports the file and uploads it; the host's answer moves the image to AVAILABLE (or ERROR) and
/// the Volume back to AVAILABLE. A capture is consistent because no workload writes the Volume meanwhile:
/// it is refused while the Volume is attached read-write, and nothing can attach it while it is CAPTURING.
/// </summary>
public sealed partial class VolumeGrain
{
    /// <summary>Operation parameters of a capture: the VolumeImage written to, and its location.</summary>
    private const string CaptureImage = "captureImage", CaptureImageLocation = "captureImageLocation";

    public async Task<VolumeCaptureResult> Capture(VolumeImage image, string imageLocalId, string jobLocalId)
    {
        await Fresh();
        var volume = Existing();
        VolumeImageGrain.Check(image with { ImageLocation = null }, requireAll: false);
        if (Hosted.Pending is not null || VolumeTransitions.TryEnter(volume.State!.Value, HostCommandKind.Capture) is not { } capturing)
            throw CimiException.Conflict($"The Volume is {volume.State}; 'capture' is allowed only when it is AVAILABLE with no other operation in progress.");
        // A reservation nothing will confirm writes nothing: dropped before the writers are counted.
        await ExpireUnconfirmedAsync();
        var writers = Hosted.Attachments.Where(a => !a.Value.ReadOnly).Select(a => $"'{VolumeSharing.MachineRef(a.Key)}'").ToList();
        if (writers.Count > 0)
            throw CimiException.Conflict($"Volume '{ResourceId}' is attached read-write to {string.Join(", ", writers)}; " +
                "detach it (or attach it read-only) so that the capture is consistent.");
        var location = VolumeImageLocation.Capture(imageLocalId);
        var created = await GrainFactory.GetGrain<IVolumeImageGrain>(GrainKeys.Of(TenantId, imageLocalId)).Create(image with
        {
            State = "CREATING", ImageLocation = location, Bootable = image.Bootable ?? volume.Bootable ?? false,
        });
        var result = await AcceptOperation(HostCommandKind.Capture, capturing, jobLocalId, CimiUris.Action("capture"),
            $"Capturing the Volume into '{created.Id}'.",
            parameters: new Dictionary<string, string> { [CaptureImage] = imageLocalId, [CaptureImageLocation] = location },
            setUp: s => s.Images = [.. s.Images, imageLocalId]);
        return new VolumeCaptureResult(created, result.Job);
    }

    /// <summary>
    /// The VolumeImage a capture was writing to, moved on as the operation ended: AVAILABLE when it
    /// succeeded, ERROR when it failed or was taken over. Nothing when the operation was no capture.
    /// </summary>
    protected override async Task<IReadOnlyList<ResourceRef>?> OnOperationEndedAsync(PendingOperation<VolumeStateName> ended)
    {
        if (ended.Parameter(CaptureImage) is not { } imageLocalId) return null;
        var grain = GrainFactory.GetGrain<IVolumeImageGrain>(GrainKeys.Of(TenantId, imageLocalId));
        // The image may have been deleted meanwhile: then nothing.
        if (await grain.GetInternal() is not { } image) return null;
        var succeeded = ended.Outcome is { Succeeded: true };
        var updated = await grain.Update(image with
        {
            State = succeeded ? "AVAILABLE" : "ERROR",
            // The host may say where it stored the bytes; a capture is always under its own location.
            ImageLocation = ended.Parameter(CaptureImageLocation) ?? image.ImageLocation,
        });
        return updated.Id is { } imageId ? [Self, new ResourceRef(imageId)] : null;
    }
}
