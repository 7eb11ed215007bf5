using System.Text.Json.Nodes;
using CimiGrains.Tests.Http;
using Xunit.Abstractions;
using static CimiGrains.Tests.Http.Systems.SystemDocs;

namespace CimiGrains.Tests.Agents.Systems;

/// <summary>
/// kill -9 of the silo and of an agent during a System's create and during its delete, on a rig of real processes
/// (<see cref="SystemCrashRig"/>: a gateway, host A with containers, host B with containers and VMs under QEMU). The
/// System is the demo's shape: a private Network, a Volume, two web containers on the Network and a database VM on the
/// Network with the Volume. After each kill the process is started again and the System converges: a create to complete
/// (every Machine STARTED) or to a clean rollback, a delete to nothing; what is on the hosts is then counted exactly
/// (one container per web Machine, one qemu process, one Volume file, one bridge and VXLAN device per host in use, one
/// veth per container, one tap per VM, no loop device or export), so an orphan or a duplicate fails the case.
/// The moments come from the QEMU driver's test pauses (<c>CIMI_AGENT_TEST_PAUSE_AT</c>): the silo is killed while
/// host B's agent is at <c>qemu-start:recorded</c> (the VM recorded Started, QEMU not launched: the session's end
/// cancels the launch), and the agent at <c>qemu-create:started</c> (the VM runs, the cluster has no answer) and at
/// <c>qemu-remove:killed</c> (the VM is gone, its tap, Volume grant and directory not); a delete's silo kill comes once
/// some workloads are gone and the Network still stands.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SystemCrashRigTests(SystemCrashRig rig, ITestOutputHelper output) : IClassFixture<SystemCrashRig>
{
    private static readonly TimeSpan Converge = TimeSpan.FromMinutes(4);
    private const int Webs = 2;
    private const long VolumeKiB = 4 * SystemCrashRig.PoolAKiB;

    private static JsonObject Shop()
    {
        var db = MachineComponent("db", network: "net", volume: "data", memoryKiB: 128 * 1024, image: SystemCrashRig.DemoVm);
        return Create(Template("shop", NetworkComponent("net"), VolumeComponent("data", VolumeKiB),
            MachineComponent("web", Webs, network: "net", image: "docker:" + DockerCli.DemoImage), db));
    }

    [Fact]
    public async Task Killing_the_silo_during_a_create_converges_to_a_complete_System_or_a_clean_rollback()
    {
        await AssertRigEmptyAsync("before the case");
        using var client = await Tenants.CreateAsync(rig.Gateway);
        // Host B's agent stops in the VM's launch, after recording it Started and before QEMU runs; the silo's death ends
        // its session there, which cancels the launch, and the cluster's next session sends the create again.
        var paused = await rig.KillAndRestartAgentAsync(rig.HostB, "qemu-start:recorded");
        var (id, job) = await PostAsync(client);
        await Eventually.Until(() => Task.FromResult(paused.Log), l => l.Contains("paused at qemu-start:recorded", StringComparison.Ordinal),
            "host B's agent to be launching the VM", TimeSpan.FromMinutes(2));
        Assert.True(await MidCreateAsync(client), "the System's Machines are asked for and not all made");
        await KillingAsync("the silo");
        await rig.KillAndRestartGatewayAsync();
        try
        {
            await AssertConvergedAfterCreateAsync(client, id, job);
        }
        catch
        {
            output.WriteLine($"--- killed gateway ---\n{rig.KilledGatewayLogs[^1]}\n--- gateway ---\n{rig.Gateway.Log}\n--- agent B ---\n{rig.AgentB.Log}");
            throw;
        }
        await DeleteAsync(client, id);
    }

    [Fact]
    public async Task Killing_the_VMs_agent_during_a_create_converges_to_a_complete_System_or_a_clean_rollback()
    {
        await AssertRigEmptyAsync("before the case");
        using var client = await Tenants.CreateAsync(rig.Gateway);
        var paused = await rig.KillAndRestartAgentAsync(rig.HostB, "qemu-create:started");
        var (id, job) = await PostAsync(client);
        await Eventually.Until(() => Task.FromResult(paused.Log), l => l.Contains("paused at qemu-create:started", StringComparison.Ordinal),
            "host B's agent to launch the VM and pause before answering", TimeSpan.FromMinutes(2));
        Assert.Single(rig.Qemu.Processes());
        await KillingAsync("host B's agent");
        await rig.KillAndRestartAgentAsync(rig.HostB);
        await AssertConvergedAfterCreateAsync(client, id, job);
        await DeleteAsync(client, id);
    }

    [Fact]
    public async Task Killing_the_silo_during_a_delete_leaves_nothing()
    {
        await AssertRigEmptyAsync("before the case");
        using var client = await Tenants.CreateAsync(rig.Gateway);
        var id = await CreateCompleteAsync(client);
        var delete = await client.DeleteAsync(id);
        Assert.True(delete.Code == 202, delete.ToString());
        // Machines go first, the Network last: kill once a workload is gone and the Network is still there.
        await Eventually.Until(async () =>
        {
            var census = await rig.CensusAsync();
            return census.A.Containers + census.B.Containers + census.B.Qemus < Webs + 1 && Count(await TryGetAsync(client, "networks")) == 1;
        }, mid => mid, "some of the System's Machines to be gone and its Network to stand", TimeSpan.FromMinutes(2));
        await KillingAsync("the silo");
        await rig.KillAndRestartGatewayAsync();
        await AssertDeletedAsync(client, id, delete.JobUri());
    }

    [Fact]
    public async Task Killing_the_VMs_agent_during_a_delete_leaves_nothing()
    {
        await AssertRigEmptyAsync("before the case");
        using var client = await Tenants.CreateAsync(rig.Gateway);
        var id = await CreateCompleteAsync(client);
        // The agent that will pause in the delete: started again (a kill -9 at rest, its VM adopted) with the pause set.
        var paused = await rig.KillAndRestartAgentAsync(rig.HostB, "qemu-remove:killed");
        await AssertCompleteAsync(client, id);
        var delete = await client.DeleteAsync(id);
        Assert.True(delete.Code == 202, delete.ToString());
        await Eventually.Until(() => Task.FromResult(paused.Log), l => l.Contains("paused at qemu-remove:killed", StringComparison.Ordinal),
            "host B's agent to stop the VM and pause before removing the rest", TimeSpan.FromMinutes(2));
        Assert.Empty(rig.Qemu.Processes());
        await KillingAsync("host B's agent");
        await rig.KillAndRestartAgentAsync(rig.HostB);
        await AssertDeletedAsync(client, id, delete.JobUri());
    }

    /// <summary>Writes what the hosts hold as the kill comes (the case's output shows it was mid-operation).</summary>
    private async Task KillingAsync(string what) => output.WriteLine($"killing {what}; the hosts hold {await rig.CensusAsync()}");

    private static async Task<(string Id, string Job)> PostAsync(CimiClient client)
    {
        var create = await client.PostAsync("systems", Shop());
        Assert.True(create.Code == 202, create.ToString());
        return (create.Header("Location")!, create.JobUri());
    }

    /// <summary>True while the create is between its waves' ends: Machines asked for, not all of them STARTED.</summary>
    private static async Task<bool> MidCreateAsync(CimiClient client)
    {
        var machines = (await client.GetAsync("machines")).Json["machines"]?.AsArray() ?? [];
        return machines.Count > 0 && machines.Any(m => m.Str("state") != "STARTED");
    }

    private async Task<string> CreateCompleteAsync(CimiClient client)
    {
        var (id, job) = await PostAsync(client);
        var done = await client.WaitForJobAsync(job, TimeSpan.FromMinutes(3));
        Assert.True(done.Str("state") == "SUCCESS", done.ToJsonString());
        await AssertCompleteAsync(client, id);
        return id;
    }

    /// <summary>The create's Job ends (on the silo now running), and the System is either complete or wholly rolled back.</summary>
    private async Task AssertConvergedAfterCreateAsync(CimiClient client, string id, string job)
    {
        var finished = await Eventually.Until(() => TryGetAsync(client, job),
            r => r is { Code: 200 } && r.Json.Str("state") is "SUCCESS" or "FAILED", "the System's create to end after the kill", Converge);
        output.WriteLine($"the create ended {finished!.Json.Str("state")}: {finished.Json.Str("statusMessage")}");
        if (finished.Json.Str("state") == "SUCCESS")
        {
            await AssertCompleteAsync(client, id);
            return;
        }
        // The other clean ending: the System in ERROR, nothing of it anywhere.
        await Eventually.Until(() => TryGetAsync(client, id), r => r?.Json.Str("state") == "ERROR", "the rolled-back System to be ERROR", Converge);
        await AssertNothingOfTheTenantAsync(client);
        await AssertRigEmptyAsync($"after the rollback ({finished.Json.Str("statusMessage")})");
    }

    /// <summary>
    /// Every Machine STARTED, and on the hosts exactly what they need: one container per web Machine on its host, one
    /// qemu process (the VM's), the Volume's one file on B (in no loop device, served by no export: the VM opens it), and
    /// on each host that runs a member of the System one bridge and one VXLAN device of the Network, a veth per
    /// container and a tap per VM.
    /// </summary>
    private async Task AssertCompleteAsync(CimiClient client, string id)
    {
        await Eventually.Until(() => TryGetAsync(client, id), r => r?.Json.Str("state") == "STARTED", "the System to be STARTED", Converge);
        var machines = (await client.GetAsync("machines")).Json["machines"]!.AsArray().Select(m => m!.AsObject()).ToList();
        Assert.Equal(Webs + 1, machines.Count);
        Assert.All(machines, m => Assert.Equal("STARTED", m.Str("state")));
        Assert.Equal(1, Count(await client.GetAsync("volumes")));
        Assert.Equal(1, Count(await client.GetAsync("networks")));
        var vm = machines.Single(m => m.Str("name") == "db");
        Assert.Equal(rig.HostB, vm.Str("host"));
        var webs = machines.Where(m => m.Str("name") != "db").ToList();
        foreach (var web in webs) Assert.Single(await DockerCli.ContainersOfAsync(MachineWorkloads.KeyOf(client, web.Str("id"))));
        Assert.Single(rig.Qemu.ProcessesOf(MachineWorkloads.KeyOf(client, vm.Str("id"))));

        HostCensus Expected(string host, string name)
        {
            var containers = webs.Count(w => w.Str("host") == host);
            var vms = host == rig.HostB ? 1 : 0;
            var inUse = containers + vms > 0 ? 1 : 0;
            return new HostCensus(name, containers, vms, vms, 0, 0, inUse, inUse, containers, vms, 0);
        }
        var expected = new SystemCensus(Expected(rig.HostA, "A"), Expected(rig.HostB, "B"));
        // Devices of interfaces the cluster gave up on are removed as the agent catches up: wait for the count, then hold it.
        await Eventually.Until(rig.CensusAsync, c => c == expected, $"the hosts to hold exactly the System ({expected})", TimeSpan.FromSeconds(60));
    }

    private async Task DeleteAsync(CimiClient client, string id)
    {
        var delete = await client.DeleteAsync(id);
        Assert.True(delete.Code == 202, delete.ToString());
        await AssertDeletedAsync(client, id, delete.JobUri());
    }

    /// <summary>The delete's Job succeeds, the System is gone, and nothing of it is left in CIMI or on the hosts.</summary>
    private async Task AssertDeletedAsync(CimiClient client, string id, string job)
    {
        var finished = await Eventually.Until(() => TryGetAsync(client, job),
            r => r is { Code: 200 } && r.Json.Str("state") is "SUCCESS" or "FAILED", "the System's delete to end", Converge);
        Assert.True(finished!.Json.Str("state") == "SUCCESS", finished.Body);
        Assert.Equal(404, (await client.GetAsync(id)).Code);
        await AssertNothingOfTheTenantAsync(client);
        await AssertRigEmptyAsync("after the delete");
    }

    private static async Task AssertNothingOfTheTenantAsync(CimiClient client)
    {
        foreach (var collection in new[] { "machines", "volumes", "networks", "networkPorts", "addresses" })
        {
            var listed = await client.GetAsync(collection);
            Assert.True(Count(listed) == 0, $"{collection} left: {listed.Body}");
        }
    }

    /// <summary>Nothing on either host: the plane's devices of a deleted Network may take the agent a moment to remove.</summary>
    private async Task AssertRigEmptyAsync(string when)
    {
        var empty = new SystemCensus(HostCensus.Empty("A"), HostCensus.Empty("B"));
        await Eventually.Until(rig.CensusAsync, c => c == empty, $"the hosts to hold nothing {when}", TimeSpan.FromSeconds(60));
    }

    private static int Count(CimiResponse? response) => response is { Code: 200 } ? response.Json["count"]!.GetValue<int>() : -1;

    /// <summary>A GET that answers null while the gateway is down or starting.</summary>
    private static async Task<CimiResponse?> TryGetAsync(CimiClient client, string url)
    {
        try
        {
            return await client.GetAsync(url);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }
}
