using CimiGrains.Tests.Agents;
using static CimiGrains.Tests.Agents.MachineWorkloads;

namespace CimiGrains.Tests.Security;

/// <summary>The operator's settings for container confinement reach the engine; bad ones stop the agent.</summary>
public sealed class ContainerDefaultsSettingsTests
{
    [Fact]
    public async Task The_operators_pids_limit_capabilities_and_no_new_privileges_settings_are_applied()
    {
        await using var cloud = await AgentCloud.StartAsync("defaults");
        var hostId = AgentCloud.NewHostId("defaults");
        await cloud.StartAgentAsync(hostId, new Dictionary<string, string>
        {
            ["CIMI_AGENT_PIDS_LIMIT"] = "64",
            ["CIMI_AGENT_CAPABILITIES"] = "cap_chown, SETUID,SETGID",
            ["CIMI_AGENT_NO_NEW_PRIVILEGES"] = "false",
        });
        var (client, template) = await cloud.NewTenantAsync();
        var (id, key) = await CreateAsync(client, template);

        var host = (await DockerCli.InspectAsync((await DockerCli.ContainersOfAsync(key)).Single()))["HostConfig"]!;
        Assert.Equal(64, host["PidsLimit"]!.GetValue<long>());
        Assert.Equal(["CHOWN", "SETUID", "SETGID"], host["CapAdd"]!.AsArray().Select(c => c!.GetValue<string>().Replace("CAP_", "")));
        Assert.DoesNotContain("no-new-privileges:true", host["SecurityOpt"]?.AsArray().Select(o => o!.GetValue<string>()) ?? []);
        await DeleteAsync(client, id);
    }

    [Theory]
    [InlineData("CIMI_AGENT_CAPABILITIES", "ALL")]
    [InlineData("CIMI_AGENT_CAPABILITIES", "NET RAW")]
    [InlineData("CIMI_AGENT_PIDS_LIMIT", "-1")]
    [InlineData("CIMI_AGENT_NO_NEW_PRIVILEGES", "maybe")]
    [InlineData("CIMI_AGENT_TENANT_OUTBOUND", "everywhere")]
    public async Task A_bad_confinement_setting_stops_the_agent_naming_it(string variable, string value)
    {
        await using var agent = AgentProcess.Start(AgentCloud.NewHostId("badset"), "http://127.0.0.1:9", "unused",
            new Dictionary<string, string> { [variable] = value, ["CIMI_AGENT_STATE_DIR"] = Path.GetTempPath() });
        var log = await Eventually.Until(() => Task.FromResult(agent.Log), l => agent.HasExited && l.Contains("cimigrains-agent:"),
            $"the agent to refuse {variable}={value} and exit");
        Assert.Contains(variable, log);
    }
}
