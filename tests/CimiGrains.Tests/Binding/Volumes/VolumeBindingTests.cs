using CimiGrains.Gateway.Serialization;
using CimiGrains.Volumes;

namespace CimiGrains.Tests.Binding.Volumes;

/// <summary>The Volume family's documents in both renderings: DSP8009 order, extensions after it, and what a client's XML binds to.</summary>
public sealed class VolumeBindingTests
{
    private static readonly IReadOnlySet<string> Nothing = new HashSet<string>();

    private static readonly VolumeCreate Create = new()
    {
        Name = "data", Description = "a data volume", Properties = new Dictionary<string, string> { ["team"] = "db" },
        VolumeTemplate = new VolumeTemplate
        {
            Href = "volumeTemplates/t1",
            VolumeConfig = new VolumeConfiguration { Href = "volumeConfigs/c1", Capacity = 2 * 1024 * 1024, Format = "ext4" },
            VolumeImage = new VolumeImage { Href = "volumeImages/i1" },
        },
    };

    [Fact]
    public void A_VolumeCreate_renders_valid_DSP8009_XML_and_reads_back_to_the_same_record()
    {
        var descriptor = CimiDescriptors.ByTypeName("VolumeCreate")!;
        var xml = CimiXml.RenderText(CimiDocuments.FromRecord(Create, descriptor, Samples.Base), descriptor, false);

        CimiSchema.AssertValid(xml);
        GoldenFiles.VerifyXml("VolumeCreate", xml);
        var bound = CimiRequestReader.Bind<VolumeCreate>(CimiXml.Read(xml, "VolumeCreate"), Samples.Base, Nothing, "VolumeCreate");
        Assert.Equal(XmlRenderingTests.Json(Create), XmlRenderingTests.Json(bound));
    }

    [Fact]
    public void A_Volume_renders_its_extensions_after_the_schemas_elements_and_stays_valid()
    {
        var volume = new Volume
        {
            Id = "volumes/v1", Name = "data", Created = Samples.Created, Updated = Samples.Updated,
            State = VolumeStateName.AVAILABLE, Type = VolumeFormats.DefaultType("ext4"), Capacity = 1024, Bootable = false,
            Format = "ext4", Host = "host-a", AttachedTo = [new ResourceRef("machines/m1")],
            Operations = [new Operation("edit", "volumes/v1")],
        };
        var type = CimiTypes.Of(VolumeRegistration.Type);
        var document = CimiDocuments.FromResource(volume, type, Samples.Base);
        var xml = CimiXml.RenderText(document, CimiDescriptors.For(type.ClrType), false);

        CimiSchema.AssertValid(xml);
        Assert.Equal(["resourceURI", "id", "name", "created", "updated", "state", "type", "capacity", "bootable", "operations", "format", "host", "attachedTo"],
            document.Select(p => p.Key));
        Assert.Equal("http://cimi.example.com/cimi/machines/m1", document["attachedTo"]![0]!["href"]!.GetValue<string>());
    }
}
