using CimiGrains.Agents.Protocol;
using CimiGrains.Gateway.Agents;
using CimiGrains.Grains.Common;

namespace CimiGrains.Tests.Agents;

/// <summary>
/// Issue 9, finding 3 for text that comes from hosts: a report's message is stored in a Job and a
/// Machine, so it must obey the same text rule as a consumer's strings.
/// </summary>
public sealed class AgentTextTests
{
    [Theory]
    [InlineData("engine said \0 here", "engine said \\u0000 here")]
    [InlineData("bad \uffff char", "bad \\uFFFF char")]
    [InlineData("escape \u001b[31m", "escape \\u001B[31m")]
    [InlineData("plain text stays, also \U0001F600 and tabs\t", "plain text stays, also \U0001F600 and tabs\t")]
    // (A lone surrogate cannot arrive: protobuf strings are decoded from UTF-8.)
    public void A_reports_message_is_stored_as_CIMI_text(string sent, string stored)
    {
        var report = AgentMessages.FromWire("h", new Report { MachineKey = "t/m", Message = sent });
        Assert.Equal(stored, report.Message);
        Assert.Null(CimiText.FindProblem(report.Message!));
        var status = AgentMessages.FromWire("h", new ImageStatus { ImageLocation = "docker:x:1", Message = sent });
        Assert.Equal(stored, status.Message);
    }
}
