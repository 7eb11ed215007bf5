using System.Text.Json.Nodes;
using CimiGrains.Tests.Binding;

namespace CimiGrains.Tests.Http;

/// <summary>Every query parameter works on the ResourceMetadata collection as on the stored collections.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ResourceMetadataQueryTests(GatewayFixture fixture)
{
    private static List<string> Names(JsonObject collection) =>
        [.. collection["resourceMetadatas"]?.AsArray().Select(i => i!.Str("name")) ?? []];

    [Theory]
    [InlineData("name='Machine'", "Machine")]
    [InlineData("name!='Machine' and name<'Credential'", "Address,AddressTemplate,CloudEntryPoint")]
    [InlineData("name='Job' or typeURI='http://schemas.dmtf.org/cimi/1/Credential'", "Credential,Job")]
    [InlineData("(name='Job' or name='Machine') and name>='K'", "Machine")]
    [InlineData("id='resourceMetadata/MachineImage'", "MachineImage")]
    [InlineData("name>'Machine'", "MachineConfiguration,MachineImage,MachineTemplate,Meter,MeterConfiguration,MeterTemplate,Network,NetworkConfiguration,NetworkPort,NetworkPortConfiguration,NetworkPortTemplate,NetworkTemplate,System,SystemTemplate,Volume,VolumeConfiguration,VolumeImage,VolumeTemplate")]
    [InlineData("'Job'=name", "Job")]
    [InlineData("name=1", "")]
    [InlineData("name=true", "")]
    [InlineData("created>2020-01-01", "")]
    [InlineData("property['owner']='ops'", "")]
    public async Task Filter_selects_the_matching_types(string filter, string expected)
    {
        using var client = await fixture.NewTenantAsync();
        var response = await client.GetAsync($"resourceMetadata?$filter={Uri.EscapeDataString(filter)}&$orderby=name");
        Assert.True(response.Code == 200, response.ToString());
        var names = Names(response.Json);
        Assert.Equal(expected, string.Join(',', names));
        Assert.Equal(names.Count, response.Json["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Orderby_first_and_last_page_the_sorted_catalog_while_count_covers_all_of_it()
    {
        using var client = await fixture.NewTenantAsync();
        var all = Names((await client.GetAsync("resourceMetadata?$orderby=name:desc")).Json);
        Assert.Equal(all.OrderDescending(StringComparer.Ordinal), all);
        Assert.Contains("CloudEntryPoint", all);

        var page = (await client.GetAsync("resourceMetadata?$orderby=name&$first=2&$last=3")).Json;
        Assert.Equal(all.Count, page["count"]!.GetValue<int>());
        Assert.Equal(all.Order(StringComparer.Ordinal).Skip(1).Take(2), Names(page));

        var filteredPage = (await client.GetAsync("resourceMetadata?$filter=name>'M' and name<'N'&$orderby=name:desc&$first=2&$last=2")).Json;
        Assert.Equal(7, filteredPage["count"]!.GetValue<int>());
        Assert.Equal(["MeterConfiguration"], Names(filteredPage));
    }

    [Fact]
    public async Task Select_and_expand_shape_the_items_in_JSON_and_XML()
    {
        using var client = await fixture.NewTenantAsync();
        var selected = (await client.GetAsync("resourceMetadata?$filter=name='Machine'&$select=name,typeURI")).Json;
        Assert.Equal(["resourceURI", "name", "typeURI"], selected["resourceMetadatas"]![0]!.AsObject().Select(p => p.Key));

        var xml = await client.GetAsync("resourceMetadata?$filter=name='Machine'&$select=name,capabilities&$expand=*", "application/xml");
        Assert.True(xml.Code == 200, xml.ToString());
        CimiSchema.AssertValid(xml.Body);
        Assert.Contains("capability", xml.Body);
        Assert.DoesNotContain("typeURI", xml.Body);

        var one = (await client.GetAsync("resourceMetadata/Machine?$select=name")).Json;
        Assert.Equal(["resourceURI", "name"], one.Select(p => p.Key));
    }

    [Theory]
    [InlineData("$filter=gpu=1", "'gpu', which is not an attribute of ResourceMetadata")]
    [InlineData("$filter=name=", "expected a value")]
    [InlineData("$orderby=name:sideways", "expected 'asc' or 'desc'")]
    [InlineData("$orderby=nothere", "'nothere', which is not an attribute of ResourceMetadata")]
    [InlineData("$first=0", "$first must be 1 or more")]
    [InlineData("$select=nothere", "'nothere', which is not an attribute of ResourceMetadata")]
    [InlineData("$expand=name", "not a reference attribute of ResourceMetadata")]
    public async Task Malformed_or_unknown_query_parameters_get_400_naming_the_problem(string query, string message)
    {
        using var client = await fixture.NewTenantAsync();
        var response = await client.GetAsync("resourceMetadata?" + query);
        Assert.True(response.Code == 400, response.ToString());
        Assert.Contains(message, response.Json.Str("message"));
    }
}
