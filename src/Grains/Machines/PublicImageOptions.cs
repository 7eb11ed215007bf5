using CimiGrains.Hosts;

namespace CimiGrains.Grains.Machines;

/// <summary>
/// The provider's public images: the image locations every tenant may name in a MachineImage
/// (the gateway fills it from <c>CIMI_DEMO_IMAGE</c> and <c>CIMI_PUBLIC_IMAGES</c>). Each is an exact
/// reference (<c>docker:REPOSITORY:TAG</c> or <c>docker:sha256:</c> and 64 hex digits), never a prefix.
/// </summary>
public sealed class PublicImageOptions
{
    /// <summary>The demo image (<c>docker:cimigrains/demo:latest</c>) unless configured.</summary>
    public IReadOnlyList<string> Locations { get; set; } = [new ImageLocation(ImageLocation.SchemelessDriver, "cimigrains/demo:latest").ToString()];

    /// <summary>The cluster image store, whose operator-registered images (<c>POST /admin/images</c>) are
    /// public images too; set by <c>AddCimiGrains</c>, null where no store is wired (then only
    /// <see cref="Locations"/> are public).</summary>
    public Images.ImageStoreDatabase? Store { get; set; }
}
