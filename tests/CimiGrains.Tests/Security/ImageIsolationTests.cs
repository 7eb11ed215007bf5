using System.Text.Json.Nodes;
using CimiGrains.Tests.Agents;
using static CimiGrains.Tests.Agents.MachineWorkloads;

namespace CimiGrains.Tests.Security;

/// <summary>
/// Issue 9, finding 2: a tenant may name only the provider's public images and its own captures, by
/// exact reference; and a capture never carries the credential and userData of the Machine it was
/// taken from.
/// </summary>
[Collection(DockerAgentCollection.Name)]
public sealed class ImageIsolationTests(DockerAgentFixture fixture)
{
    [Fact]
    public async Task Another_tenants_capture_can_be_neither_registered_nor_booted_by_reference_id_or_prefix()
    {
        var (owner, ownerTemplate) = await fixture.Cloud.NewTenantAsync();
        var (other, otherTemplate) = await fixture.Cloud.NewTenantAsync();
        var (machine, _) = await CreateAsync(owner, ownerTemplate);
        var (imageUri, reference) = await CaptureAsync(owner, machine);
        try
        {
            var imageId = await DockerCli.RunAsync("image", "inspect", "--format", "{{.Id}}", reference);
            var hex = imageId["sha256:".Length..];
            var forbidden = new[]
            {
                "docker:" + reference,           // the capture's own name
                reference,                       // the same without the scheme
                "docker:" + hex[..3],            // a short-id prefix the engine would resolve
                "docker:" + hex[..12],
                "docker:" + hex,                 // the full id
                "docker:" + imageId,             // sha256:…
            };
            foreach (var location in forbidden)
            {
                var registered = await other.PostAsync("machineImages", new JsonObject { ["name"] = "stolen", ["imageLocation"] = location });
                Assert.True(registered.Code == 400, $"registering {location} as another tenant: {registered}");
                Assert.Contains("public image", registered.Body);

                // Nor by value in a MachineCreate, nor as an override of a public image the tenant holds.
                var byValue = await other.PostAsync("machines", new JsonObject
                {
                    ["machineTemplate"] = new JsonObject
                    {
                        ["machineConfig"] = otherTemplate["machineConfig"]!.DeepClone(),
                        ["machineImage"] = new JsonObject { ["imageLocation"] = location },
                    },
                });
                Assert.True(byValue.Code == 400, $"booting {location} by value as another tenant: {byValue}");
                var overridden = otherTemplate.DeepClone().AsObject();
                overridden["machineImage"]!["imageLocation"] = location;
                var byOverride = await other.PostAsync("machines", new JsonObject { ["machineTemplate"] = overridden });
                Assert.True(byOverride.Code == 400, $"booting {location} as an override as another tenant: {byOverride}");
            }
            Assert.Equal(1, (await other.GetAsync("machineImages")).Json["count"]!.GetValue<int>());

            // The owner's MachineImage itself is not another tenant's to name.
            var byHref = await other.PostAsync("machines", new JsonObject
            {
                ["machineTemplate"] = new JsonObject
                {
                    ["machineConfig"] = otherTemplate["machineConfig"]!.DeepClone(),
                    ["machineImage"] = new JsonObject { ["href"] = imageUri },
                },
            });
            Assert.True(byHref.Code is 400 or 404, $"booting the owner's MachineImage by href: {byHref}");
            Assert.Equal(0, (await other.GetAsync("machines")).Json["count"]!.GetValue<int>());

            // The owner may register its own capture again, by its exact reference, and so may boot it.
            var own = await owner.PostAsync("machineImages", new JsonObject { ["name"] = "again", ["imageLocation"] = "docker:" + reference });
            Assert.True(own.Code == 201, $"the owner registering its own capture: {own}");
            var ownPrefix = await owner.PostAsync("machineImages", new JsonObject { ["name"] = "prefix", ["imageLocation"] = "docker:" + hex[..6] });
            Assert.True(ownPrefix.Code == 400, $"even the owner cannot name an image by prefix: {ownPrefix}");
            await DeleteAsync(owner, machine);
        }
        finally
        {
            await DockerCli.RemoveHostContainersAsync(fixture.HostId);
            await DockerCli.RemoveImageAsync(reference);
        }
    }

    [Fact]
    public async Task A_capture_holds_no_credential_or_userData_and_a_Machine_booted_from_it_gets_only_its_own()
    {
        var (client, template) = await fixture.Cloud.NewTenantAsync();
        var secret = "first-pw-" + Guid.NewGuid().ToString("N")[..8];
        var first = template.DeepClone().AsObject();
        first["credential"] = new JsonObject { ["userName"] = "first-admin", ["password"] = secret, ["key"] = "ssh-ed25519 AAAAfirstkey first" };
        first["userData"] = Convert.ToBase64String("#!/bin/sh\necho first-user-data-ran\n"u8.ToArray());
        var (machine, key) = await CreateAsync(client, first);
        var container = (await DockerCli.ContainersOfAsync(key)).Single();

        // A normal Machine still gets its own credential and userData.
        Assert.Equal("first-admin", await DockerCli.RunAsync("exec", container, "cat", "/run/cimi/admin-user"));
        Assert.Equal(secret, await DockerCli.RunAsync("exec", container, "cat", "/run/cimi/admin-password"));
        await Eventually.Until(() => DockerCli.RunAsync("exec", container, "cat", "/var/log/cimi-init.log"),
            l => l.Contains("first-user-data-ran") && l.Contains("admin user: first-admin"), "the demo init to read its credential and run its user-data");

        var (imageUri, reference) = await CaptureAsync(client, machine);
        try
        {
            // The image itself: nothing under /run/cimi.
            var inImage = await DockerCli.RunAsync("run", "--rm", "--name", "imgiso-" + Guid.NewGuid().ToString("N")[..12], "--network", "none",
                "--entrypoint", "/bin/sh", reference, "-c", "ls -A /run/cimi 2>&1; cat /run/cimi/* 2>/dev/null; true");
            Assert.DoesNotContain(secret, inImage);
            Assert.DoesNotContain("first-admin", inImage);
            Assert.DoesNotContain("first-user-data", inImage);
            Assert.DoesNotContain("AAAAfirstkey", inImage);

            // A Machine booted from it with another credential sees that one only.
            var second = new JsonObject
            {
                ["machineConfig"] = template["machineConfig"]!.DeepClone(),
                ["machineImage"] = new JsonObject { ["href"] = imageUri },
                ["credential"] = new JsonObject { ["userName"] = "second-admin", ["password"] = "second-pw" },
            };
            var (secondId, secondKey) = await CreateAsync(client, second);
            var secondContainer = (await DockerCli.ContainersOfAsync(secondKey)).Single();
            Assert.Equal("second-admin", await DockerCli.RunAsync("exec", secondContainer, "cat", "/run/cimi/admin-user"));
            Assert.Equal("second-pw", await DockerCli.RunAsync("exec", secondContainer, "cat", "/run/cimi/admin-password"));
            var secondFiles = await DockerCli.RunAsync("exec", secondContainer, "sh", "-c", "ls -A /run/cimi; cat /run/cimi/*");
            Assert.DoesNotContain(secret, secondFiles);
            Assert.DoesNotContain("user-data", secondFiles);
            Assert.DoesNotContain("admin-key", secondFiles);
            await DeleteAsync(client, secondId); // the test host has two CPUs

            // And one booted without any credential finds none.
            var bare = new JsonObject
            {
                ["machineConfig"] = template["machineConfig"]!.DeepClone(),
                ["machineImage"] = new JsonObject { ["href"] = imageUri },
            };
            var (bareId, bareKey) = await CreateAsync(client, bare);
            var bareContainer = (await DockerCli.ContainersOfAsync(bareKey)).Single();
            var bareFiles = await DockerCli.RunAsync("exec", bareContainer, "sh", "-c", "ls -A /run/cimi; cat /run/cimi/* 2>/dev/null; true");
            Assert.DoesNotContain(secret, bareFiles);
            Assert.DoesNotContain("admin-", bareFiles);

            await DeleteAsync(client, bareId);
            await DeleteAsync(client, machine);
            // The files go with their Machine: no volume holding them is left on the engine.
            foreach (var k in new[] { key, secondKey, bareKey })
                Assert.Equal("", await DockerCli.RunAsync("volume", "ls", "-q", "--filter", $"label=cimigrains.machine={k}"));
        }
        finally
        {
            await DockerCli.RemoveHostContainersAsync(fixture.HostId);
            await DockerCli.RemoveImageAsync(reference);
        }
    }
}
