namespace CimiGrains.Gateway.Images;

/// <summary>The cluster image store's settings on a silo, from the environment (docs/IMAGES.md).</summary>
public sealed class ImageStoreOptions
{
    /// <summary>The default of <see cref="MaxImageBytes"/>: 20 GiB.</summary>
    public const long DefaultMaxImageBytes = 20L << 30;

    /// <summary><c>CIMI_IMAGE_MAX_BYTES</c>: the largest image file the store takes, from an operator's
    /// upload or a host's capture.</summary>
    public long MaxImageBytes { get; init; } = DefaultMaxImageBytes;

    public static ImageStoreOptions FromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable("CIMI_IMAGE_MAX_BYTES");
        if (string.IsNullOrWhiteSpace(text)) return new ImageStoreOptions();
        return long.TryParse(text, out var max) && max > 0
            ? new ImageStoreOptions { MaxImageBytes = max }
            : throw new InvalidOperationException($"CIMI_IMAGE_MAX_BYTES='{text}' is not a positive number of bytes.");
    }
}
