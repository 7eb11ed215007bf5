using System.Text.Json;
using CimiGrains.Grains.Machines;
using CimiGrains.Machines;

namespace CimiGrains.Tests.Grains;

public sealed class MachineStateCompatibilityTests
{
    [Fact]
    public void A_Machine_state_stored_before_the_hosted_resource_base_reads_back_with_its_Machine_and_host()
    {
        // The shape MachineGrainState had when it kept its Machine under "Machine" and one "HostId".
        const string stored = """{"Machine":{"Id":"machines/m","Name":"old","State":3},"HostId":"host-1","Generation":4,"HostSession":"s-1"}""";

        var state = JsonSerializer.Deserialize<MachineGrainState>(stored)!;

        Assert.Equal("machines/m", state.Resource?.Id);
        Assert.Equal("old", state.Resource?.Name);
        Assert.Equal(["host-1"], state.HostIds);
        Assert.Equal(4, state.Generation);
        Assert.Equal("s-1", state.HostSessions?["host-1"]);
        // Written back in the new shape only.
        var written = JsonSerializer.Serialize(state);
        Assert.DoesNotContain("\"Machine\"", written);
        Assert.DoesNotContain("\"HostSession\"", written);
        Assert.Equal("host-1", JsonSerializer.Deserialize<MachineGrainState>(written)!.HostId);
    }
}
