using System.Text.Json.Nodes;
using CimiGrains.Tests.Http;

namespace CimiGrains.Tests.Security;

/// <summary>
/// Issue 9, findings 2 and 11: the shapes existing CIMI clients POST to the MachineImage collection
/// (<c>MachineImageCreate</c> with imageLocation as text, <c>MachineImage</c> with imageLocation as an
/// href), and the rule on what an imageLocation may name, over HTTP with no host agent.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class MachineImageCreateTests(GatewayFixture fixture)
{
    private const string Demo = "docker:cimigrains/demo:latest";
    private const string Xml = "application/xml";

    [Fact]
    public async Task A_MachineImageCreate_in_XML_with_imageLocation_as_text_registers_the_image()
    {
        using var client = await fixture.NewTenantAsync();
        var response = await client.SendAsync(HttpMethod.Post, "machineImages", $"""
            <MachineImageCreate xmlns="http://schemas.dmtf.org/cimi/1">
              <name>from-xml</name>
              <description>a MachineImageCreate</description>
              <property key="os">busybox</property>
              <type>IMAGE</type>
              <imageLocation>{Demo}</imageLocation>
            </MachineImageCreate>
            """, Xml);

        Assert.True(response.Code == 201, response.ToString());
        var image = (await client.GetAsync(response.Header("Location")!)).Json;
        Assert.Equal("from-xml", image.Str("name"));
        Assert.Equal(Demo, image.Str("imageLocation"));
        Assert.Equal("busybox", image["properties"].Str("os"));
        Assert.Equal("AVAILABLE", image.Str("state"));
    }

    [Theory]
    [InlineData("AVAILABLE")]
    [InlineData("CREATING")]
    public async Task A_consumer_cannot_set_the_state_of_the_MachineImage_it_registers(string state)
    {
        using var client = await fixture.NewTenantAsync();
        var response = await client.PostAsync("machineImages", new JsonObject
        {
            ["name"] = "stated", ["state"] = state, ["imageLocation"] = Demo,
        });

        Assert.True(response.Code == 400, response.ToString());
        Assert.Contains("'state'", response.Body);
        Assert.Equal(0, (await client.GetAsync("machineImages")).Json["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_PUT_on_a_MachineImage_keeps_the_providers_state_and_relatedImage()
    {
        using var client = await fixture.NewTenantAsync();
        var origin = await client.PostAsync("machineImages", new JsonObject { ["name"] = "origin", ["imageLocation"] = Demo });
        Assert.True(origin.Code == 201, origin.ToString());
        var derived = await client.PostAsync("machineImages", new JsonObject
        {
            ["name"] = "derived", ["imageLocation"] = Demo, ["relatedImage"] = new JsonObject { ["href"] = origin.Header("Location") },
        });
        Assert.True(derived.Code == 201, derived.ToString());
        var uri = derived.Header("Location")!;

        var renamed = await client.PutAsync(uri, new JsonObject { ["name"] = "renamed", ["imageLocation"] = Demo });

        Assert.True(renamed.Code == 200, renamed.ToString());
        var image = (await client.GetAsync(uri)).Json;
        Assert.Equal("renamed", image.Str("name"));
        Assert.Equal("AVAILABLE", image.Str("state"));
        Assert.Equal(origin.Header("Location"), image["relatedImage"].Str("href"));
    }

    [Fact]
    public async Task A_machineImageCreate_in_JSON_with_imageLocation_as_text_or_as_an_href_registers_the_image()
    {
        using var client = await fixture.NewTenantAsync();
        var asText = await client.PostAsync("machineImages", new JsonObject
        {
            ["resourceURI"] = "http://schemas.dmtf.org/cimi/1/MachineImageCreate",
            ["name"] = "text", ["imageLocation"] = Demo,
        });
        Assert.True(asText.Code == 201, asText.ToString());
        Assert.Equal(Demo, asText.Json.Str("imageLocation"));

        var asHref = await client.PostAsync("machineImages", new JsonObject
        {
            ["resourceURI"] = "http://schemas.dmtf.org/cimi/1/MachineImage",
            ["name"] = "href", ["imageLocation"] = new JsonObject { ["href"] = Demo },
        });
        Assert.True(asHref.Code == 201, asHref.ToString());
        Assert.Equal(Demo, asHref.Json.Str("imageLocation"));

        var xmlHref = await client.SendAsync(HttpMethod.Post, "machineImages",
            $"""<MachineImage xmlns="http://schemas.dmtf.org/cimi/1"><name>xml-href</name><imageLocation href="{Demo}"/></MachineImage>""", Xml);
        Assert.True(xmlHref.Code == 201, xmlHref.ToString());
        Assert.Equal(Demo, (await client.GetAsync(xmlHref.Header("Location")!)).Json.Str("imageLocation"));
    }

    [Fact]
    public async Task A_MachineImageCreate_naming_a_Machine_in_either_shape_is_a_capture_of_it()
    {
        using var client = await fixture.NewTenantAsync();
        // No host is connected: the Machine is in ERROR, so the capture it asks for is refused as a
        // capture (409 naming the state), not misread as a registration (201) or a bad body (400).
        var machine = await CimiDocs.MachineWithoutHostAsync(client);
        var xml = await client.SendAsync(HttpMethod.Post, "machineImages",
            $"""<MachineImageCreate xmlns="http://schemas.dmtf.org/cimi/1"><name>snap</name><imageLocation>{machine}</imageLocation></MachineImageCreate>""", Xml);
        Assert.True(xml.Code == 409 && xml.Body.Contains("capture"), xml.ToString());
        var json = await client.PostAsync("machineImages", new JsonObject
        {
            ["resourceURI"] = "http://schemas.dmtf.org/cimi/1/MachineImage",
            ["name"] = "snap", ["imageLocation"] = new JsonObject { ["href"] = machine },
        });
        Assert.True(json.Code == 409 && json.Body.Contains("capture"), json.ToString());
        Assert.Equal(1, (await client.GetAsync("machineImages")).Json["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task An_imageLocation_that_is_neither_a_public_image_nor_a_capture_of_the_tenant_is_refused_naming_the_rule()
    {
        using var client = await fixture.NewTenantAsync();
        var refused = new[]
        {
            "docker:busybox", "docker:f6c", "docker:cimigrains/demo", "docker:cimigrains/demo:lates",
            "docker:cimigrains/capture:" + Guid.NewGuid().ToString("N"), "cimigrains/demo:other", "qemu:/var/lib/x.qcow2",
        };
        foreach (var location in refused)
        {
            var response = await client.PostAsync("machineImages", CimiDocs.Image(location));
            Assert.True(response.Code == 400, $"{location}: {response}");
            Assert.Contains("public image", response.Body);
            Assert.Contains("captures", response.Body);
        }
        Assert.Equal(0, (await client.GetAsync("machineImages")).Json["count"]!.GetValue<int>());

        // A registered image cannot be changed into one either.
        var image = await CimiDocs.Created(client, "machineImages", CimiDocs.Image());
        var changed = await client.PutAsync(image, CimiDocs.Image("docker:busybox"));
        Assert.True(changed.Code == 400, changed.ToString());
        Assert.Equal(Demo, (await client.GetAsync(image)).Json.Str("imageLocation"));
        // The public image is named exactly; the bare reference without the scheme means the same image.
        Assert.Equal(201, (await client.PostAsync("machineImages", CimiDocs.Image("cimigrains/demo:latest"))).Code);
    }
}
