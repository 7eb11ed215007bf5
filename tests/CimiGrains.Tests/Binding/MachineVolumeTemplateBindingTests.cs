using System.Text.Json.Nodes;
using System.Xml.Linq;
using CimiGrains.Gateway.Serialization;
using CimiGrains.Machines;

namespace CimiGrains.Tests.Binding;

/// <summary>A MachineTemplate's <c>volumeTemplates</c> as DSP8009 writes them (XML <c>volumeTemplate</c> with the
/// VolumeTemplate's elements and the <c>href</c> and <c>initialLocation</c> attributes) and in JSON.</summary>
public sealed class MachineVolumeTemplateBindingTests
{
    private static readonly IReadOnlySet<string> Nothing = new HashSet<string>();

    private static MachineCreate Bind(JsonObject document) => CimiRequestReader.Bind<MachineCreate>(document, Samples.Base, Nothing, "MachineCreate");

    [Fact]
    public void XML_volumeTemplate_elements_bind_by_value_by_reference_and_both_with_their_initialLocation()
    {
        const string xml = """
            <MachineCreate xmlns="http://schemas.dmtf.org/cimi/1">
              <machineTemplate>
                <machineConfig href="http://cimi.example.com/cimi/machineConfigs/c1"/>
                <machineImage href="http://cimi.example.com/cimi/machineImages/i1"/>
                <volumeTemplate initialLocation="/data">
                  <volumeConfig><format>ext4</format><capacity>1048576</capacity></volumeConfig>
                </volumeTemplate>
                <volumeTemplate href="http://cimi.example.com/cimi/volumeTemplates/vt1" initialLocation="/logs"/>
                <volumeTemplate href="http://cimi.example.com/cimi/volumeTemplates/vt1" initialLocation="/big">
                  <volumeConfig><capacity>2097152</capacity></volumeConfig>
                </volumeTemplate>
              </machineTemplate>
            </MachineCreate>
            """;
        var templates = Bind(CimiXml.Read(xml, "MachineCreate")).MachineTemplate!.VolumeTemplates!;

        Assert.Equal(3, templates.Count);
        Assert.Null(templates[0].Href);
        Assert.Equal("/data", templates[0].InitialLocation);
        Assert.Equal(1048576, templates[0].VolumeConfig!.Capacity);
        Assert.Equal("ext4", templates[0].VolumeConfig!.Format);
        Assert.Equal("volumeTemplates/vt1", templates[1].Href);
        Assert.Equal("/logs", templates[1].InitialLocation);
        Assert.Null(templates[1].VolumeConfig);
        Assert.Equal("volumeTemplates/vt1", templates[2].Href);
        Assert.Equal(2097152, templates[2].VolumeConfig!.Capacity);
        Assert.Equal("volumeTemplates/vt1", templates[2].ToVolumeTemplate().Href);
    }

    [Fact]
    public void JSON_volumeTemplates_bind_and_render_back_valid_against_DSP8009()
    {
        var json = JsonNode.Parse("""
            {
              "machineTemplate": {
                "machineConfig": { "href": "http://cimi.example.com/cimi/machineConfigs/c1" },
                "machineImage": { "href": "http://cimi.example.com/cimi/machineImages/i1" },
                "volumeTemplates": [
                  { "volumeConfig": { "capacity": 1048576 }, "initialLocation": "/data" },
                  { "href": "http://cimi.example.com/cimi/volumeTemplates/vt1", "initialLocation": "/logs" }
                ]
              }
            }
            """)!.AsObject();
        var template = Bind(json).MachineTemplate!;

        Assert.Equal([null, "volumeTemplates/vt1"], template.VolumeTemplates!.Select(v => v.Href));
        Assert.Equal(["/data", "/logs"], template.VolumeTemplates!.Select(v => v.InitialLocation));
        Assert.Equal(1048576, template.VolumeTemplates![0].VolumeConfig!.Capacity);

        var descriptor = CimiDescriptors.For<MachineTemplate>();
        var xml = CimiXml.RenderText(CimiDocuments.FromRecord(template, descriptor, Samples.Base), descriptor, isCollection: false);
        CimiSchema.AssertValid(xml);
        var elements = XDocument.Parse(xml).Root!.Elements(XName.Get("volumeTemplate", CimiSchema.Namespace)).ToList();
        Assert.Equal(2, elements.Count);
        Assert.Equal("/data", elements[0].Attribute("initialLocation")?.Value);
        Assert.Equal("1048576", elements[0].Element(XName.Get("volumeConfig", CimiSchema.Namespace))?.Element(XName.Get("capacity", CimiSchema.Namespace))?.Value);
        Assert.Equal("http://cimi.example.com/cimi/volumeTemplates/vt1", elements[1].Attribute("href")?.Value);
    }
}
