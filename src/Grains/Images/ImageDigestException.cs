namespace CimiGrains.Grains.Images;

/// <summary>An image's bytes do not hash to the digest they were sent or stored with.</summary>
public sealed class ImageDigestException(string message) : Exception(message);
