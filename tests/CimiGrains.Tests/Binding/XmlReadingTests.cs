using System.Text.Json.Nodes;
using CimiGrains.Credentials;
using CimiGrains.Gateway.Serialization;
using CimiGrains.Machines;

namespace CimiGrains.Tests.Binding;

/// <summary>The tolerant XML reader, and round trips of every resource through both renderings.</summary>
public sealed class XmlReadingTests
{
    private static readonly IReadOnlySet<string> Nothing = new HashSet<string>();

    public static TheoryData<string> ResourceTypes => [.. Samples.Resources.Select(r => r.Type.TypeName)];

    private static T Bind<T>(JsonObject document, string typeName) where T : class =>
        CimiRequestReader.Bind<T>(document, Samples.Base, Nothing, typeName);

    [Theory, MemberData(nameof(ResourceTypes))]
    public void Every_resource_round_trips_through_XML_to_the_same_document(string typeName)
    {
        var (type, resource) = Samples.Resources.Single(r => r.Type.TypeName == typeName);
        var original = CimiDocuments.FromResource(resource, type, Samples.Base);
        var xml = CimiXml.RenderText(original, CimiDescriptors.For(type.ClrType), false);

        var read = CimiXml.Read(xml, typeName);
        var bound = (CimiResource)typeof(CimiRequestReader).GetMethod(nameof(CimiRequestReader.Bind))!.MakeGenericMethod(type.ClrType)
            .Invoke(null, [read, Samples.Base, Nothing, typeName])!;

        Assert.Equal(original.ToJsonString(), CimiDocuments.FromResource(bound, type, Samples.Base).ToJsonString());
    }

    [Theory, MemberData(nameof(ResourceTypes))]
    public void Every_resource_round_trips_through_JSON_to_the_same_document(string typeName)
    {
        var (type, resource) = Samples.Resources.Single(r => r.Type.TypeName == typeName);
        var original = CimiDocuments.FromResource(resource, type, Samples.Base);

        var read = JsonNode.Parse(original.ToJsonString())!.AsObject();
        var bound = (CimiResource)typeof(CimiRequestReader).GetMethod(nameof(CimiRequestReader.Bind))!.MakeGenericMethod(type.ClrType)
            .Invoke(null, [read, Samples.Base, Nothing, typeName])!;

        Assert.Equal(original.ToJsonString(), CimiDocuments.FromResource(bound, type, Samples.Base).ToJsonString());
    }

    [Fact]
    public void A_MachineCreate_by_value_round_trips_including_the_credential_password_it_carries()
    {
        var descriptor = CimiDescriptors.ByTypeName("MachineCreate")!;
        var xml = CimiXml.RenderText(CimiDocuments.FromRecord(Samples.MachineCreate, descriptor, Samples.Base), descriptor, false);
        var bound = Bind<MachineCreate>(CimiXml.Read(xml, "MachineCreate"), "MachineCreate");
        Assert.Equal(XmlRenderingTests.Json(Samples.MachineCreate), XmlRenderingTests.Json(bound));
    }

    [Fact]
    public void Sloppy_but_meaningful_XML_is_read_like_a_careful_client_would_write_it()
    {
        // Lower-case root, no namespace, padded values, properties keyed by 'name' and by 'key', a foreign extension.
        const string xml = """
            <machineCreate xmlns:other="urn:other">
              <name>  web-3  </name>
              <property name="owner"> ops </property>
              <property key="tier">web</property>
              <other:flavour>ignored</other:flavour>
              <machineTemplate>
                <initialState> STOPPED </initialState>
                <machineConfig href=" http://cimi.example.com/cimi/machineConfigs/c1 "><cpu> 3 </cpu></machineConfig>
                <machineImage><imageLocation>docker:busybox</imageLocation></machineImage>
              </machineTemplate>
            </machineCreate>
            """;
        var create = Bind<MachineCreate>(CimiXml.Read(xml, "MachineCreate"), "MachineCreate");

        Assert.Equal("web-3", create.Name);
        Assert.Equal("ops", create.Properties!["owner"]);
        Assert.Equal("web", create.Properties!["tier"]);
        Assert.Equal("STOPPED", create.MachineTemplate!.InitialState);
        Assert.Equal("machineConfigs/c1", create.MachineTemplate.MachineConfig!.Href);
        Assert.Equal(3, create.MachineTemplate.MachineConfig.Cpu);
        Assert.Equal("docker:busybox", create.MachineTemplate.MachineImage!.ImageLocation);
    }

    [Fact]
    public void Credential_key_is_read_from_either_namespace()
    {
        var cimi = Bind<CredentialTemplate>(CimiXml.Read("""<CredentialTemplate xmlns="http://schemas.dmtf.org/cimi/1"><userName>u</userName><key>ssh-rsa AAA</key></CredentialTemplate>""", "CredentialTemplate"), "CredentialTemplate");
        var ours = Bind<CredentialTemplate>(CimiXml.Read("""<CredentialTemplate xmlns="http://schemas.dmtf.org/cimi/1" xmlns:cg="urn:cimigrains:cimi:extensions:1"><cg:key>ssh-rsa AAA</cg:key></CredentialTemplate>""", "CredentialTemplate"), "CredentialTemplate");
        Assert.Equal("ssh-rsa AAA", cimi.Key);
        Assert.Equal("ssh-rsa AAA", ours.Key);
    }

    [Fact]
    public void An_action_reads_its_force_flag_as_a_boolean()
    {
        var action = CimiXml.Read("""<Action xmlns="http://schemas.dmtf.org/cimi/1"><action> http://schemas.dmtf.org/cimi/1/action/stop </action><force> true </force></Action>""", "Action");
        Assert.True(action["force"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData(" http://schemas.dmtf.org/cimi/1/action/stop ", "/cimi/machines/abc1", "http://schemas.dmtf.org/cimi/1/action/stop")]
    [InlineData("http://schemas.dmtf.org/cimi/1/Action/Stop", "/cimi/machines/abc1", "http://schemas.dmtf.org/cimi/1/action/stop")]
    [InlineData("https://SCHEMAS.dmtf.org/cimi/1/action/start", "/cimi/machines/abc1", "http://schemas.dmtf.org/cimi/1/action/start")]
    [InlineData("Restart", "/cimi/machines/abc1", "http://schemas.dmtf.org/cimi/1/action/restart")]
    [InlineData("", "/cimi/machines/abc1/stop", "http://schemas.dmtf.org/cimi/1/action/stop")]
    [InlineData(null, "/cimi/machines/abc1/start", "http://schemas.dmtf.org/cimi/1/action/start")]
    [InlineData("http://example.com/other/stop", "/cimi/machines/abc1", "http://example.com/other/stop")]
    public void A_sloppy_action_is_made_canonical_or_taken_from_the_url(string? given, string path, string expected)
    {
        var action = new JsonObject();
        if (given is not null) action["action"] = given;
        CimiRequestReader.NormalizeAction(action, path);
        Assert.Equal(expected, action["action"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("<Machine xmlns='http://schemas.dmtf.org/cimi/1'/>", "root element is <Machine>")]
    [InlineData("<MachineConfiguration xmlns='urn:somebody-else'/>", "namespace 'urn:somebody-else'")]
    [InlineData("<MachineConfiguration><cpu>1</cpu><cpu>2</cpu></MachineConfiguration>", "appears more than once")]
    [InlineData("<MachineConfiguration><cpu>1</cpu>", "not well-formed")]
    [InlineData("<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><MachineConfiguration><name>&e;</name></MachineConfiguration>", "not well-formed")]
    [InlineData("<MachineConfiguration><property>v</property></MachineConfiguration>", "needs a 'key'")]
    public void Broken_XML_gets_400_naming_the_problem(string xml, string expected)
    {
        var e = Assert.Throws<CimiRequestException>(() => CimiXml.Read(xml, "MachineConfiguration"));
        Assert.Equal(400, e.Status);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void An_unknown_element_is_rejected_by_name_at_binding_as_for_JSON()
    {
        var read = CimiXml.Read("<MachineConfiguration><cpu>1</cpu><gpu>2</gpu></MachineConfiguration>", "MachineConfiguration");
        var e = Assert.Throws<CimiRequestException>(() => Bind<MachineConfiguration>(read, "MachineConfiguration"));
        Assert.Contains("'gpu' is not an attribute of MachineConfiguration", e.Message);
    }

    [Fact]
    public void A_number_that_is_not_a_number_is_rejected_naming_the_attribute()
    {
        var read = CimiXml.Read("<MachineConfiguration><cpu>two</cpu></MachineConfiguration>", "MachineConfiguration");
        var e = Assert.Throws<CimiRequestException>(() => Bind<MachineConfiguration>(read, "MachineConfiguration"));
        Assert.Contains("'cpu'", e.Message);
    }

    [Fact]
    public void Provider_set_attributes_in_an_XML_update_are_rejected_as_in_JSON()
    {
        var read = CimiXml.Read("<Machine><name>n</name><state>STOPPED</state></Machine>", "Machine");
        var e = Assert.Throws<CimiRequestException>(() =>
            CimiRequestReader.Bind<Machine>(read, Samples.Base, CimiTypes.Machine.ReadOnlyAttributes, "Machine"));
        Assert.Contains("'state' is set by the provider", e.Message);
    }
}
