using System.Xml.Linq;
using CimiGrains.Gateway.Serialization;
using CimiGrains.Machines;
using CimiGrains.Volumes;

namespace CimiGrains.Tests.Binding;

/// <summary>The items of a Machine's sub-collections and a MachineTemplate's volumes against DSP8009, with their golden files.</summary>
public sealed class MachineVolumeDocumentTests
{
    private static readonly MachineVolume Sample = new()
    {
        Id = "machines/m1/volumes/v1", Created = Samples.Created, Updated = Samples.Created,
        Properties = new Dictionary<string, string> { [MachineVolumes.StatusProperty] = "attached", [MachineVolumes.ReadOnlyProperty] = "true" },
        InitialLocation = "/data", Volume = new ResourceRef("volumes/v1"),
        Operations = [new Operation("delete", "machines/m1/volumes/v1")],
    };

    [Fact]
    public void A_MachineVolume_renders_in_schema_order_valid_against_DSP8009()
    {
        var descriptor = CimiDescriptors.ByTypeName("MachineVolume")!;
        var document = CimiDocuments.FromRecord(Sample, descriptor, Samples.Base);
        var xml = CimiXml.RenderText(document, descriptor, isCollection: false);

        CimiSchema.AssertValid(xml);
        Assert.Equal(["id", "created", "updated", "property", "property", "initialLocation", "volume", "operation"],
            XDocument.Parse(xml).Root!.Elements().Select(e => e.Name.LocalName));
        GoldenFiles.VerifyJson("MachineVolume", document);
        GoldenFiles.VerifyXml("MachineVolume", xml);
    }

    [Fact]
    public void A_Disk_keeps_DSP8009s_two_elements_and_writes_its_id_as_an_extension()
    {
        var descriptor = CimiDescriptors.ByTypeName("Disk")!;
        var disk = new MachineDisk { Id = "machines/m1/disks/0", Capacity = 1048576, InitialLocation = "/dev/vdb" };
        var xml = CimiXml.RenderText(CimiDocuments.FromRecord(disk, descriptor, Samples.Base), descriptor, isCollection: false);

        CimiSchema.AssertValid(xml);
        var root = XDocument.Parse(xml).Root!;
        Assert.Equal("Disk", root.Name.LocalName);
        Assert.NotNull(root.Element(XName.Get("id", CimiNamespaces.Extensions)));
        // In the CIMI namespace the id breaks the schema: DSP8009's Disk has no common elements.
        Assert.NotEmpty(CimiSchema.Validate(xml.Replace("<cg:id>", "<id>").Replace("</cg:id>", "</id>")));
    }

    [Fact]
    public void A_template_names_its_volumes_as_DSP8009_does_with_href_and_initialLocation_attributes()
    {
        var template = Samples.Template with
        {
            Volumes = [new MachineTemplateVolume { Href = "volumes/v1", InitialLocation = "/data" }, new MachineTemplateVolume { Href = "volumes/v2" }],
        };
        var descriptor = CimiDescriptors.For<MachineTemplate>();
        var document = CimiDocuments.FromRecord(template, descriptor, Samples.Base);
        var xml = CimiXml.RenderText(document, descriptor, isCollection: false);

        CimiSchema.AssertValid(xml);
        var volumes = XDocument.Parse(xml).Root!.Elements(XName.Get("volume", CimiSchema.Namespace)).ToList();
        Assert.Equal(2, volumes.Count);
        Assert.Equal("http://cimi.example.com/cimi/volumes/v1", volumes[0].Attribute("href")?.Value);
        Assert.Equal("/data", volumes[0].Attribute("initialLocation")?.Value);
        Assert.Equal("/data", document["volumes"]![0]!["initialLocation"]!.GetValue<string>());

        var read = CimiXml.Read(xml, "MachineTemplate");
        Assert.Equal("/data", read["volumes"]![0]!["initialLocation"]!.GetValue<string>());
        Assert.Equal("http://cimi.example.com/cimi/volumes/v2", read["volumes"]![1]!["href"]!.GetValue<string>());
    }
}
