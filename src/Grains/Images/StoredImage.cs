namespace CimiGrains.Grains.Images;

/// <summary>
/// One image in the cluster image store (<c>cimi_image</c>): where it is named (its canonical image
/// location), what its bytes are (sha256 and size of the driver's portable file) and whose it is.
/// </summary>
/// <param name="Location">The canonical image location (<c>driver:reference</c>) it is stored under.</param>
/// <param name="Driver">The host driver that runs it (the location's scheme).</param>
/// <param name="Kind"><see cref="CaptureKind"/> or <see cref="RegisteredKind"/>.</param>
/// <param name="Format">What the bytes are: <c>docker-archive</c> (a <c>docker save</c> tar), <c>qcow2</c>,
/// <c>raw</c>, or the driver's own export format for captures.</param>
/// <param name="OwnerTenant">The tenant whose Machine was captured; null for an operator-registered image,
/// which every tenant may name.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the whole file.</param>
/// <param name="SizeBytes">The file's size.</param>
/// <param name="BlobId">The chunks of its current content.</param>
/// <param name="Created">When this content was stored.</param>
public sealed record StoredImage(
    string Location, string Driver, string Kind, string Format, string? OwnerTenant, string Sha256, long SizeBytes,
    Guid BlobId, DateTimeOffset Created)
{
    public const string CaptureKind = "capture";
    public const string RegisteredKind = "registered";
}
