using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using IPNetwork = System.Net.IPNetwork;

namespace CimiGrains.Gateway.Hosting;

/// <summary>
/// The reverse proxies whose <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> the gateway believes
/// (<c>CIMI_TRUSTED_PROXIES</c>: comma-separated addresses or CIDR networks). Behind a proxy every client
/// arrives from the proxy's address, so the login throttle would count all of them as one source; with
/// the proxy trusted, the client's address is the rightmost one in the header that is not itself a
/// trusted proxy. From any other peer the header is ignored: a client cannot pick its own source
/// address to slip past the throttle.
/// </summary>
public static class TrustedProxies
{
    /// <summary>Reads the setting; throws naming the first entry that is neither an address nor a network.</summary>
    public static IReadOnlyList<IPNetwork> Parse(string? value)
    {
        var networks = new List<IPNetwork>();
        foreach (var entry in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (IPAddress.TryParse(entry, out var address))
                networks.Add(new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            else if (IPNetwork.TryParse(entry, out var network))
                networks.Add(network);
            else
                throw new InvalidOperationException($"CIMI_TRUSTED_PROXIES entry '{entry}' is neither an IP address nor a CIDR network (10.0.0.0/8).");
        }
        return networks;
    }

    /// <summary>Takes the client's address and scheme from the trusted proxies' headers (nothing when none is set).</summary>
    public static IApplicationBuilder UseTrustedProxies(this IApplicationBuilder app, CimiGatewayOptions options)
    {
        if (options.TrustedProxies.Count == 0) return app;
        var forwarded = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
            // Every hop that is a trusted proxy is walked back; the first one that is not is the client.
            ForwardLimit = null,
        };
        forwarded.KnownProxies.Clear();
        forwarded.KnownIPNetworks.Clear();
        foreach (var network in options.TrustedProxies) forwarded.KnownIPNetworks.Add(network);
        return app.UseForwardedHeaders(forwarded);
    }
}
