namespace CimiGrains.Grains.Images;

/// <summary>An image upload went past the store's size limit; nothing of it is kept.</summary>
public sealed class ImageTooLargeException(long maxBytes)
    : Exception($"The image is larger than the store's limit of {maxBytes} bytes (CIMI_IMAGE_MAX_BYTES).")
{
    public long MaxBytes { get; } = maxBytes;
}
