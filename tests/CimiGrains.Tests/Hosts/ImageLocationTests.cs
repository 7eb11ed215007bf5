using CimiGrains.Hosts;

namespace CimiGrains.Tests.Hosts;

/// <summary>The one image-location rule: the scheme names the host driver, the rest is that driver's exact reference.</summary>
public sealed class ImageLocationTests
{
    [Theory]
    [InlineData("docker:cimigrains/demo:latest", "docker", "cimigrains/demo:latest")]
    [InlineData("DOCKER:debian:12", "docker", "debian:12")]
    [InlineData("  docker:registry.local:5000/team/app:v1.2 ", "docker", "registry.local:5000/team/app:v1.2")]
    [InlineData("cimigrains/demo:latest", "docker", "cimigrains/demo:latest")]
    [InlineData("debian:12", "docker", "debian:12")]
    [InlineData("qemu:images/debian-12.qcow2", "qemu", "images/debian-12.qcow2")]
    public void A_location_names_its_driver_by_its_scheme(string text, string driver, string reference)
    {
        var location = ImageLocation.Parse(text);
        Assert.Equal(driver, location.Driver);
        Assert.Equal(reference, location.Reference);
        Assert.Equal($"{driver}:{reference}", location.ToString());
    }

    [Theory]
    [InlineData("docker:sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void A_full_image_id_is_exact(string text) => Assert.Equal("docker", ImageLocation.Parse(text).Driver);

    [Theory]
    [InlineData("docker:cimigrains/demo", "exact docker image reference")]   // no tag: whatever latest is
    [InlineData("docker:0123ab", "exact docker image reference")]           // an id prefix
    [InlineData("docker:", "exact docker image reference")]
    [InlineData("qemu:../etc/passwd", "exact qemu image reference")]
    [InlineData("qemu:/var/lib/images/x.qcow2", "exact qemu image reference")]
    [InlineData("file:/var/lib/images/x.qcow2", "names the scheme 'file', which no host driver has")]
    [InlineData("https://images.example/x.qcow2", "names the scheme 'https', which no host driver has")]
    [InlineData("   ", "is not an image location")]
    public void A_malformed_location_or_an_unknown_scheme_is_refused_saying_why(string text, string problem)
    {
        Assert.False(ImageLocation.TryParse(text, out var location, out var message));
        Assert.Null(location);
        Assert.Contains(problem, message);
        Assert.Contains(problem, Assert.Throws<FormatException>(() => ImageLocation.Parse(text)).Message);
    }

    [Fact]
    public void A_capture_keeps_the_captured_Machine_driver_and_names_the_image_it_fills()
    {
        var capture = ImageLocation.Capture("qemu", "img1");
        Assert.Equal("qemu:cimigrains/capture:img1", capture.ToString());
        Assert.Equal("img1", ImageLocation.Parse(capture.ToString()).CapturedImageLocalId);
        Assert.Equal("img1", ImageLocation.Parse("docker:cimigrains/capture:img1").CapturedImageLocalId);
        Assert.Null(ImageLocation.Parse("docker:cimigrains/demo:latest").CapturedImageLocalId);
    }
}
