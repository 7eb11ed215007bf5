using CimiGrains.Hosts;

namespace CimiGrains.Tests.Hosts;

/// <summary>
/// Issue 12: the cluster image store reads VolumeImage locations (volume:REFERENCE) as a kind of its own,
/// while the driver rule that MachineImages and placement read still refuses them: volume is no driver.
/// </summary>
public sealed class VolumeImageLocationStoreTests
{
    [Theory]
    [InlineData("volume:cimigrains/capture:abc", "cimigrains/capture:abc", "abc")]
    [InlineData(" volume:seeds/debian.ext4 ", "seeds/debian.ext4", null)]
    public void The_store_reads_a_volume_location_and_its_capture_id(string text, string reference, string? captured)
    {
        Assert.True(ImageLocation.TryParseStored(text, out var location, out var problem), problem);
        Assert.True(location!.IsVolume);
        Assert.Equal(reference, location.Reference);
        Assert.Equal(captured, location.CapturedImageLocalId);
        Assert.Equal("volume:" + reference, location.ToString());
    }

    [Theory]
    [InlineData("volume:")]
    [InlineData("volume:../etc/passwd")]
    [InlineData("volume:a/../b")]
    [InlineData("volume:a b")]
    public void The_store_refuses_a_volume_location_that_is_not_exact(string text)
    {
        Assert.False(ImageLocation.TryParseStored(text, out _, out var problem));
        Assert.Contains("volume image location", problem);
    }

    [Fact]
    public void Volume_is_no_driver_for_machine_images_and_placement()
    {
        Assert.DoesNotContain(ImageLocation.VolumeScheme, ImageLocation.Drivers);
        Assert.False(ImageLocation.TryParse("volume:cimigrains/capture:abc", out _, out _));
    }

    [Theory]
    [InlineData("docker:busybox:1.36")]
    [InlineData("qemu:cimigrains/capture:x")]
    public void Driver_locations_read_by_the_store_as_before(string text)
    {
        Assert.True(ImageLocation.TryParseStored(text, out var stored, out _));
        Assert.True(ImageLocation.TryParse(text, out var driver, out _));
        Assert.Equal(driver, stored);
        Assert.False(stored!.IsVolume);
    }
}
