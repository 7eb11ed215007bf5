namespace CimiGrains.Agents.Networks;

/// <summary>
/// Where Docker runs, its FORWARD policy is DROP and br_netfilter is on, so every IPv4 frame crossing one of the
/// plane's bridges (bridged or routed) would reach Docker's FORWARD chain and be dropped. Docker's own extension
/// point for this is its <c>DOCKER-USER</c> chain: the plane puts two rules there, accepting what enters or leaves
/// a <c>cimin…</c> bridge, and leaves every decision about that traffic to its own nftables forward chain (which
/// drops all the plane does not route). Nothing else of Docker's is read or changed; without Docker (no
/// DOCKER-USER chain) nothing is done, and the rules go when the plane has no bridge left.
/// </summary>
internal sealed class DockerForwarding(PlaneShell shell)
{
    public const string Chain = "DOCKER-USER";
    private static readonly string[][] Rules = [["-i", PlaneNames.BridgePrefix + "+", "-j", "ACCEPT"], ["-o", PlaneNames.BridgePrefix + "+", "-j", "ACCEPT"]];

    /// <summary>Adds the rules (<paramref name="wanted"/>) or removes them, in iptables and ip6tables, where the chain exists.</summary>
    public async Task SyncAsync(bool wanted, CancellationToken ct)
    {
        foreach (var tool in new[] { "iptables", "ip6tables" })
        {
            if (!File.Exists(Volumes.HostTools.Find(tool))) continue;
            if ((await shell.TryRunAsync(tool, ["-w", "-S", Chain], ct)).Code != 0) continue;
            foreach (var rule in Rules)
            {
                var present = (await shell.TryRunAsync(tool, ["-w", "-C", Chain, .. rule], ct)).Code == 0;
                if (wanted && !present) await shell.RunAsync(tool, ["-w", "-I", Chain, "1", .. rule], ct);
                for (var guard = 0; !wanted && present && guard < 16; guard++)
                {
                    await shell.RunAsync(tool, ["-w", "-D", Chain, .. rule], ct);
                    present = (await shell.TryRunAsync(tool, ["-w", "-C", Chain, .. rule], ct)).Code == 0;
                }
            }
        }
    }
}
