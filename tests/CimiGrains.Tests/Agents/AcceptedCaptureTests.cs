using System.Text.Json.Nodes;
using static CimiGrains.Tests.Agents.MachineWorkloads;

namespace CimiGrains.Tests.Agents;

/// <summary>Finding 11 (issue 9) for capture: its 202 carries the new MachineImage, CREATING, and the Job in CIMI-Job-URI.</summary>
[Collection(DockerAgentCollection.Name)]
public sealed class AcceptedCaptureTests(DockerAgentFixture fixture)
{
    [Fact]
    public async Task A_capture_answers_202_with_the_new_MachineImage_CREATING_as_the_body()
    {
        var (client, template) = await fixture.Cloud.NewTenantAsync();
        var (id, _) = await CreateAsync(client, template);
        string? location = null;
        try
        {
            var capture = await client.PostAsync("machineImages", new JsonObject { ["name"] = "snap", ["imageLocation"] = client.Absolute(id) });

            var jobUri = capture.JobUri();
            var imageUri = capture.Header("Location")!;
            Assert.StartsWith(client.Cimi + "machineImages/", imageUri);
            var body = capture.Json;
            Assert.Equal("http://schemas.dmtf.org/cimi/1/MachineImage", body["resourceURI"]!.GetValue<string>());
            Assert.Equal(imageUri, body["id"]!.GetValue<string>());
            Assert.Equal("CREATING", body["state"]!.GetValue<string>());
            Assert.Equal("snap", body["name"]!.GetValue<string>());
            var job = await client.WaitForJobAsync(jobUri, TimeSpan.FromSeconds(60));
            Assert.True(job["state"]!.GetValue<string>() == "SUCCESS", $"the capture Job: {job}");
            Assert.Equal(id, job["targetResource"]!["href"]!.GetValue<string>());
            location = (await client.GetAsync(imageUri)).Json["imageLocation"]?.GetValue<string>();
            await DeleteAsync(client, id);
        }
        finally
        {
            await DockerCli.RemoveHostContainersAsync(fixture.HostId);
            if (location is not null && location.StartsWith("docker:", StringComparison.Ordinal))
                await DockerCli.RunAsync("rmi", "-f", location["docker:".Length..]);
        }
    }
}
