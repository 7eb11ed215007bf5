namespace CimiGrains.Volumes;

/// <summary>
/// The side of a Machine grain (same grain, same key <c>{tenantId}/{localId}</c>) that a Volume asks about a
/// reservation its Machine never confirmed (docs/VOLUMES.md, "Unconfirmed reservations"): one whose Machine does not
/// hold the Volume (it is gone, its create died before storing it, or it gave the attachment up and the release was
/// lost) is the Volume's to drop. The Machine is the truth about its attachments.
/// </summary>
public interface IVolumeHolder : IGrainWithStringKey
{
    /// <summary>Whether the Machine exists and holds Volume <paramref name="volumeKey"/> in any status (being
    /// reserved, attached, attaching, detaching), or is reserving it for a create not stored yet. Interleaved: the
    /// Machine may be waiting on this very Volume (a reservation, a confirmation, a release), and a question that
    /// waited for that turn would deadlock both until the call timed out.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<bool> HoldsVolume(string volumeKey);
}
