using CimiGrains.Gateway.Serialization;
using CimiGrains.Networks;

namespace CimiGrains.Tests.Binding.Networks;

/// <summary>The Network family's Create documents in XML: DSP8009-valid, extensions after the schema's elements, and read back to the same record.</summary>
public sealed class NetworkBindingTests
{
    private static readonly IReadOnlySet<string> Nothing = new HashSet<string>();

    private static void RoundTrips<T>(T create, string typeName) where T : CimiResource
    {
        var descriptor = CimiDescriptors.ByTypeName(typeName)!;
        var xml = CimiXml.RenderText(CimiDocuments.FromRecord(create, descriptor, Samples.Base), descriptor, false);

        CimiSchema.AssertValid(xml);
        GoldenFiles.VerifyXml(typeName, xml);
        var bound = CimiRequestReader.Bind<T>(CimiXml.Read(xml, typeName), Samples.Base, Nothing, typeName);
        Assert.Equal(XmlRenderingTests.Json(create), XmlRenderingTests.Json(bound));
    }

    [Fact]
    public void A_NetworkCreate_with_overrides_and_extensions_round_trips_through_valid_XML() => RoundTrips(new NetworkCreate
    {
        Name = "web", Description = "the web tier", Properties = new Dictionary<string, string> { ["team"] = "web" },
        NetworkTemplate = new NetworkTemplate
        {
            Href = "networkTemplates/t1", InitialState = "STOPPED", ForwardingGroup = new ResourceRef("forwardingGroups/g1"),
            NetworkConfig = new NetworkConfiguration { Href = "networkConfigs/c1", Mtu = 1400, NetworkType = "PRIVATE", Subnet = "10.42.0.0/24" },
        },
    }, "NetworkCreate");

    [Fact]
    public void A_ForwardingGroupCreate_lists_its_Networks_as_repeated_elements() => RoundTrips(new ForwardingGroupCreate
    {
        Name = "tiers",
        ForwardingGroupTemplate = new ForwardingGroupTemplate { Networks = [new ResourceRef("networks/a"), new ResourceRef("networks/b")] },
    }, "ForwardingGroupCreate");

    [Fact]
    public void An_AddressCreate_and_a_NetworkPortCreate_round_trip()
    {
        RoundTrips(new AddressCreate
        {
            Name = "db", AddressTemplate = new AddressTemplate { Ip = "10.42.0.7", Hostname = "db", Network = new ResourceRef("networks/a") },
        }, "AddressCreate");
        RoundTrips(new NetworkPortCreate
        {
            Name = "p", NetworkPortTemplate = new NetworkPortTemplate
            {
                Network = new ResourceRef("networks/a"), NetworkPortConfig = new NetworkPortConfiguration { PortType = "TRUNK" },
            },
        }, "NetworkPortCreate");
    }
}
