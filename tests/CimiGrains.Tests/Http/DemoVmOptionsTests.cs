using CimiGrains.Gateway.Hosting;
using Microsoft.Extensions.Configuration;

namespace CimiGrains.Tests.Http;

/// <summary>
/// CIMI_DEMO_VM_IMAGE: the demo VM's image location, a public image by default, turned off by an empty
/// value (not by leaving it unset), and refused at start when it is no exact image location.
/// </summary>
public sealed class DemoVmOptionsTests
{
    private static CimiGatewayOptions Bind(params (string Key, string Value)[] settings) =>
        CimiGatewayOptions.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build());

    [Fact]
    public void Unset_it_is_the_demo_vm_run_sh_builds_and_a_public_image_after_the_demo_container()
    {
        var options = Bind();
        Assert.Equal("qemu:demo-vm", options.DemoVmImage);
        Assert.Equal(["docker:cimigrains/demo:latest", "qemu:demo-vm"], options.AllPublicImages);
        Assert.Contains("CIMI_DEMO_VM_IMAGE=qemu:demo-vm", options.ToString());
    }

    [Fact]
    public void An_empty_value_offers_no_demo_vm()
    {
        var options = Bind(("CIMI_DEMO_VM_IMAGE", ""), ("CIMI_PUBLIC_IMAGES", "docker:debian:12"));
        Assert.Null(options.DemoVmImage);
        Assert.Equal(["docker:cimigrains/demo:latest", "docker:debian:12"], options.AllPublicImages);
        Assert.Contains("CIMI_DEMO_VM_IMAGE=(none)", options.ToString());
    }

    [Fact]
    public void A_set_location_is_kept_in_its_canonical_form_before_the_other_public_images()
    {
        var options = Bind(("CIMI_DEMO_VM_IMAGE", " QEMU:vms/demo-2 "), ("CIMI_PUBLIC_IMAGES", "docker:debian:12"));
        Assert.Equal("qemu:vms/demo-2", options.DemoVmImage);
        Assert.Equal(["docker:cimigrains/demo:latest", "qemu:vms/demo-2", "docker:debian:12"], options.AllPublicImages);
    }

    [Theory]
    [InlineData("qemu:../etc/passwd")]
    [InlineData("file:/srv/demo-vm")]
    public void A_value_that_is_no_exact_image_location_is_refused_naming_the_setting(string value)
    {
        var e = Assert.Throws<InvalidOperationException>(() => Bind(("CIMI_DEMO_VM_IMAGE", value)));
        Assert.StartsWith("CIMI_DEMO_VM_IMAGE: ", e.Message);
        Assert.Contains(value, e.Message);
    }
}
