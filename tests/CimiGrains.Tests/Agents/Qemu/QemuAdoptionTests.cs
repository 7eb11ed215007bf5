using System.Diagnostics;
using static CimiGrains.Tests.Agents.MachineWorkloads;

namespace CimiGrains.Tests.Agents.Qemu;

/// <summary>QEMU processes outlive their agent: adopted after a kill -9 of it, seen when they die on their
/// own, and reaped when their Machine was deleted while the agent was away.</summary>
[Collection(QemuAgentCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class QemuAdoptionTests(QemuAgentFixture fixture)
{
    private QemuHost Host => fixture.Host;

    [Fact]
    public async Task After_a_kill_9_of_the_agent_its_VMs_are_adopted_a_VM_killed_outside_shows_and_one_deleted_meanwhile_is_reaped()
    {
        var (client, template) = await fixture.NewTenantAsync(memoryKiB: 128 * 1024);
        var (keptId, keptKey) = await CreateAsync(client, template);
        var (goneId, goneKey) = await CreateAsync(client, template);
        var kept = Assert.Single(Host.ProcessesOf(keptKey)).Pid;
        var gone = Assert.Single(Host.ProcessesOf(goneKey)).Pid;
        try
        {
            await fixture.Agent.KillAsync();
            // The VMs run on without their agent.
            Assert.Equal(kept, Assert.Single(Host.ProcessesOf(keptKey)).Pid);
            var marked = await Eventually.Until(() => GetAsync(client, keptId),
                m => m["properties"]?["cimigrains.hostStatus"] is not null, "the Machine to be marked as on an unreachable host");
            Assert.NotNull(marked);
            await DeleteAsync(client, goneId);
            Assert.Equal(gone, Assert.Single(Host.ProcessesOf(goneKey)).Pid);

            fixture.Agent = await fixture.StartAgentAsync();
            await WaitStateAsync(client, keptId, "STARTED", TimeSpan.FromSeconds(60));
            // Adopted, not restarted or duplicated: the same one process.
            Assert.Equal(kept, Assert.Single(Host.ProcessesOf(keptKey)).Pid);
            await Eventually.Until(() => Task.FromResult(Host.DirectoryOf(goneKey) is null && Host.ProcessesOf(goneKey).Count == 0),
                reaped => reaped, "the VM of the Machine deleted while the agent was away to be reaped", TimeSpan.FromSeconds(60));

            // The adopted VM answers the agent again (its QMP connection is back).
            await ActAsync(client, keptId, "pause");
            Assert.Equal("PAUSED", await StateAsync(client, keptId));
            await ActAsync(client, keptId, "start");
            Assert.Equal(kept, Assert.Single(Host.ProcessesOf(keptKey)).Pid);

            // Killed from outside: the Machine shows it within seconds.
            using (var process = Process.GetProcessById(kept)) process.Kill();
            await WaitStateAsync(client, keptId, "STOPPED", TimeSpan.FromSeconds(15));
            Assert.Empty(Host.ProcessesOf(keptKey));

            await DeleteAsync(client, keptId);
            Assert.Null(Host.DirectoryOf(keptKey));
        }
        finally
        {
            await fixture.EnsureAgentAsync();
        }
    }
}
