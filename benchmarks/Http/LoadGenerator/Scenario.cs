namespace CimiGrains.Benchmarks.LoadGenerator;

/// <summary>
/// One URL to drive: <c>NAME=URL[,anon][,status=CODE][,vs=NAME]</c>. <c>anon</c> sends no credentials;
/// <c>status</c> is the answer that counts as success (200 unless given); <c>vs</c> names the
/// scenario this one is compared with in the summary; <c>server</c> names a <c>--pid</c> whose CPU time
/// is charged to it. A <c>{id}</c> in the URL is replaced, per
/// request, by a random line of the <c>--ids</c> file.
/// </summary>
internal sealed record Scenario(string Name, string Url, bool Anonymous, int ExpectedStatus, string? Versus, string? Server)
{
    public static Scenario Parse(string spec)
    {
        var eq = spec.IndexOf('=');
        if (eq <= 0) throw new ArgumentException($"A scenario is NAME=URL[,options], not '{spec}'.");
        var parts = spec[(eq + 1)..].Split(',');
        var (anonymous, status, versus, server) = (false, 200, (string?)null, (string?)null);
        foreach (var option in parts.Skip(1))
        {
            if (option == "anon") anonymous = true;
            else if (option.StartsWith("status=", StringComparison.Ordinal)) status = int.Parse(option[7..], System.Globalization.CultureInfo.InvariantCulture);
            else if (option.StartsWith("vs=", StringComparison.Ordinal)) versus = option[3..];
            else if (option.StartsWith("server=", StringComparison.Ordinal)) server = option[7..];
            else throw new ArgumentException($"Unknown scenario option '{option}' in '{spec}'.");
        }
        Loopback.Check(parts[0].Replace("{id}", "x", StringComparison.Ordinal));
        return new Scenario(spec[..eq], parts[0], anonymous, status, versus, server);
    }
}
