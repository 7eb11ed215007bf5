using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using CimiGrains.Gateway.CloudEntryPoint;
using CimiGrains.Gateway.ResourceMetadata;
using CimiGrains.Gateway.Serialization;

namespace CimiGrains.Tests.Binding;

/// <summary>
/// The descriptor-driven writers against the DMTF schema, from sample records. The golden files of the
/// documents the server answers with are captured from a running gateway (<see cref="GoldenCrawlTests"/>);
/// only the request documents (MachineCreate, CredentialCreate, Action), which the server reads, are checked here.
/// </summary>
public sealed class XmlRenderingTests
{
    public static TheoryData<string> ResourceTypes => [.. Samples.Resources.Select(r => r.Type.TypeName)];

    private static (CimiType Type, CimiResource Resource) Sample(string typeName) => Samples.Resources.Single(r => r.Type.TypeName == typeName);

    [Theory, MemberData(nameof(ResourceTypes))]
    public void Every_resource_renders_as_XML_that_validates_against_DSP8009(string typeName)
    {
        var (type, resource) = Sample(typeName);
        var document = CimiDocuments.FromResource(resource, type, Samples.Base);

        var xml = CimiXml.RenderText(document, CimiDescriptors.For(type.ClrType), isCollection: false);

        CimiSchema.AssertValid(xml);
        Assert.Equal(typeName, XDocument.Parse(xml).Root!.Name.LocalName);
    }

    [Theory, MemberData(nameof(ResourceTypes))]
    public void Every_collection_renders_as_a_Collection_that_validates_with_items_named_after_their_type(string typeName)
    {
        var (type, resource) = Sample(typeName);
        var item = CimiDocuments.FromResource(resource, type, Samples.Base);
        var collection = CimiDocuments.Collection(type, Samples.Base, 2, [item, item.DeepClone().AsObject()], type.ConsumerCreatable);

        var xml = CimiXml.RenderText(collection, CimiDescriptors.For(type.ClrType), isCollection: true);

        CimiSchema.AssertValid(xml);
        var root = XDocument.Parse(xml).Root!;
        Assert.Equal(type.CollectionTypeUri, root.Attribute("resourceURI")?.Value);
        Assert.Equal(2, root.Elements(XName.Get(typeName, CimiSchema.Namespace)).Count());
        Assert.Equal(["id", "count", typeName, typeName, .. type.ConsumerCreatable ? new[] { "operation" } : []],
            root.Elements().Select(e => e.Name.LocalName));
    }

    [Fact]
    public void An_empty_collection_has_no_item_array_and_still_validates()
    {
        var collection = CimiDocuments.Collection(CimiTypes.Job, Samples.Base, 0, [], canAdd: false);
        Assert.False(collection.ContainsKey("jobs"));
        CimiSchema.AssertValid(CimiXml.RenderText(collection, CimiDescriptors.For(CimiTypes.Job.ClrType), isCollection: true));
    }

    [Fact]
    public void The_cloud_entry_point_renders_valid_with_links_in_schema_order()
    {
        var document = CimiDocuments.FromRecord(Samples.EntryPoint, CimiDescriptors.For<CloudEntryPointResource>(), Samples.Base);
        var xml = CimiXml.RenderText(document, CimiDescriptors.For<CloudEntryPointResource>(), false);

        CimiSchema.AssertValid(xml);
        Assert.Equal(["id", "name", "description", "created", "updated", "baseURI", "resourceMetadata", "systems", "systemTemplates", "machines", "machineTemplates",
            "machineConfigs", "machineImages", "credentials", "credentialTemplates", "volumes", "volumeTemplates", "volumeConfigs", "volumeImages",
            "networks", "networkTemplates", "networkConfigs", "networkPorts", "networkPortTemplates", "networkPortConfigs", "addresses", "addressTemplates",
            "forwardingGroups", "forwardingGroupTemplates", "jobs", "meters", "meterTemplates", "meterConfigs", "eventLogs", "eventLogTemplates", "events"], XDocument.Parse(xml).Root!.Elements().Select(e => e.Name.LocalName));
    }

    public static TheoryData<string> MetadataTypes => [.. ResourceMetadataCatalog.All.Select(r => r.Name!)];

    [Theory, MemberData(nameof(MetadataTypes))]
    public void Every_resource_metadata_renders_valid_and_declares_every_extension_in_the_CimiGrains_namespace(string typeName)
    {
        var record = ResourceMetadataCatalog.Find(typeName)!;
        var descriptor = CimiDescriptors.For<ResourceMetadataRecord>();
        var document = CimiDocuments.FromRecord(record, descriptor, Samples.Base);
        var xml = CimiXml.RenderText(document, descriptor, false);

        CimiSchema.AssertValid(xml);
        var typeDescriptor = CimiDescriptors.ByTypeName(typeName)!;
        foreach (var extension in typeDescriptor.Attributes.Where(a => a.IsExtension))
        {
            var declared = record.Attributes!.Single(a => a.Name == extension.Name);
            Assert.Equal(CimiNamespaces.Extensions, declared.Namespace);
        }
        Assert.Equal(typeDescriptor.Attributes.Count, record.Attributes!.Count);
    }

    [Fact]
    public void Machine_resource_metadata_states_the_capabilities_actions_and_constraints_clients_rely_on()
    {
        var machine = ResourceMetadataCatalog.Find("Machine")!;
        string Capability(string name) => machine.Capabilities!.Single(c => c.Name == name).Value!;
        Assert.Equal("STARTED", Capability("DefaultInitialState"));
        Assert.Equal("STARTED,STOPPED", Capability("InitialStates"));
        Assert.Equal("true", Capability("MachineTemplateByValue"));
        Assert.Equal("true", Capability("MachineStopForce"));
        Assert.Equal(["start", "stop", "restart", "pause", "suspend", "console"], machine.Actions!.Select(a => a.Name));
        Assert.Contains("ERROR", machine.Attributes!.Single(a => a.Name == "state").Values!);
        Assert.Equal(1024, machine.Attributes!.Single(a => a.Name == "cpu").Ranges!.Single().High);
        var entryPoint = ResourceMetadataCatalog.Find("CloudEntryPoint")!;
        Assert.Equal(["FilterParameter", "ExpandParameter", "SelectParameter", "firstParameter", "OrderByParameter"],
            entryPoint.Capabilities!.Select(c => c.Name));
    }

    [Fact]
    public void Machine_elements_follow_the_schema_order_and_extensions_come_last_in_their_own_namespace()
    {
        var xml = CimiXml.RenderText(CimiDocuments.FromResource(Samples.Machine, CimiTypes.Machine, Samples.Base),
            CimiDescriptors.For<CimiGrains.Machines.Machine>(), false);
        var names = XDocument.Parse(xml).Root!.Elements()
            .Select(e => (e.Name.NamespaceName == CimiNamespaces.Extensions ? "cg:" : "") + e.Name.LocalName);
        Assert.Equal(["id", "name", "description", "created", "updated", "property", "property", "state", "cpu", "memory", "cpuArch",
            "operation", "operation", "operation", "operation", "cg:machineImage", "cg:machineConfig", "cg:host"], names);
        var property = XDocument.Parse(xml).Root!.Element(XName.Get("property", CimiSchema.Namespace))!;
        Assert.Equal("owner", property.Attribute("name")?.Value);
        Assert.Equal("owner", property.Attribute("key")?.Value);
    }

    [Fact]
    public void Credential_key_is_an_extension_because_DSP8009_types_key_as_hexBinary()
    {
        var xml = CimiXml.RenderText(CimiDocuments.FromResource(Samples.Credential, CimiTypes.Credential, Samples.Base),
            CimiDescriptors.For<CimiGrains.Credentials.Credential>(), false);
        var root = XDocument.Parse(xml).Root!;
        Assert.NotNull(root.Element(XName.Get("key", CimiNamespaces.Extensions)));
        Assert.Null(root.Element(XName.Get("key", CimiSchema.Namespace)));
        // Rewritten into the CIMI namespace, the same text breaks the schema: the namespace choice is what keeps it valid.
        var asCimi = xml.Replace("<cg:key>", "<key>").Replace("</cg:key>", "</key>");
        Assert.NotEmpty(CimiSchema.Validate(asCimi));
    }

    [Fact]
    public void JSON_documents_from_the_read_model_get_the_descriptor_key_order_back()
    {
        // jsonb stores keys shortest-first; the rendered document must not.
        var stored = """{"cpu":2,"id":"machines/m1","host":"h","name":"n","state":"STARTED","created":"2024-05-25T13:30:15+00:00","operations":[{"rel":"edit","href":"machines/m1"}]}""";
        var document = CimiDocuments.FromStored(stored, CimiTypes.Machine, Samples.Base);
        Assert.Equal(["resourceURI", "id", "name", "created", "state", "cpu", "operations", "host"], document.Select(p => p.Key));
        Assert.Equal("http://cimi.example.com/cimi/machines/m1", document["operations"]![0]!["href"]!.GetValue<string>());
    }

    [Fact]
    public void Request_documents_render_valid_too()
    {
        foreach (var (record, typeName) in new (object, string)[] { (Samples.MachineCreate, "MachineCreate"), (Samples.CredentialCreate, "CredentialCreate") })
        {
            var descriptor = CimiDescriptors.ByTypeName(typeName)!;
            var xml = CimiXml.RenderText(CimiDocuments.FromRecord(record, descriptor, Samples.Base), descriptor, false);
            CimiSchema.AssertValid(xml);
            GoldenFiles.VerifyXml(typeName, xml);
        }
        var action = new JsonObject { ["action"] = CimiUris.Action("stop"), ["force"] = true };
        var actionXml = CimiXml.RenderText(action, CimiDescriptors.ByTypeName("Action")!, false);
        CimiSchema.AssertValid(actionXml);
        GoldenFiles.VerifyXml("Action", actionXml);
    }

    [Fact]
    public void Error_bodies_render_in_the_CimiGrains_namespace()
    {
        var body = new JsonObject { ["status"] = 404, ["error"] = "Not Found", ["message"] = "Machine was not found.", ["requestId"] = "r1" };
        var xml = System.Text.Encoding.UTF8.GetString(CimiErrorDocument.RenderXml(body));
        var root = XDocument.Parse(xml).Root!;
        Assert.Equal(XName.Get("Error", CimiNamespaces.Extensions), root.Name);
        Assert.Equal("Machine was not found.", root.Element(XName.Get("message", CimiNamespaces.Extensions))!.Value);
    }

    [Fact]
    public void The_writer_refuses_an_attribute_its_type_does_not_have()
    {
        var document = new JsonObject { ["resourceURI"] = CimiUris.TypeUri("Machine"), ["id"] = "x", ["bogus"] = 1 };
        var e = Assert.Throws<InvalidOperationException>(() => CimiXml.RenderText(document, CimiDescriptors.For<CimiGrains.Machines.Machine>(), false));
        Assert.Contains("'bogus'", e.Message);
    }

    internal static string Json(object value) => JsonSerializer.Serialize(value, value.GetType(), CimiJson.Options);
}
