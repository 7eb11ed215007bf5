namespace CimiGrains.Tests.Infrastructure;

/// <summary>
/// An asynchronous operation's answer as a CIMI client reads it: 202 Accepted, the Job in the
/// <c>CIMI-Job-URI</c> header, the target in <c>Location</c> and, as the body, the target itself.
/// </summary>
public static class AcceptedAnswer
{
    /// <summary>The Job of this 202 (its <c>CIMI-Job-URI</c>); fails when the answer is not an accepted operation.</summary>
    public static string JobUri(this CimiResponse response)
    {
        Assert.True(response.Code == 202, $"expected 202 Accepted: {response}");
        var job = response.Header("CIMI-Job-URI");
        Assert.False(string.IsNullOrEmpty(job), $"a 202 without CIMI-Job-URI: {response}");
        return job!;
    }
}
