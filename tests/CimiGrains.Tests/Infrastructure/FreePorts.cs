using System.Net;
using System.Net.Sockets;

namespace CimiGrains.Tests.Infrastructure;

/// <summary>
/// Loopback TCP ports that are free right now, for processes a test starts (gateways, agents, PostgreSQL).
/// They are taken below the kernel's ephemeral range (<c>/proc/sys/net/ipv4/ip_local_port_range</c>): a port the OS
/// hands out for "any port" lies in that range, and so does the source port of every outgoing connection, so
/// between the pick and the gateway's bind one of the run's own thousands of connections (to PostgreSQL, gRPC)
/// could take it, which is how gateways failed to start with "address already in use" under a full run. Below
/// the range only an explicit bind takes a port; each is handed out once per test process and checked free.
/// </summary>
public static class FreePorts
{
    // Above the NBD exports' ports (10810–11809), which agents bind later without asking.
    private const int Lowest = 12000;
    private static readonly HashSet<int> Given = [];
    private static readonly Random Pick = new();

    public static int[] Take(int count)
    {
        var (low, _) = EphemeralRange();
        if (low - Lowest < 1000) return FromTheKernel(count);
        var ports = new List<int>(count);
        lock (Given)
        {
            for (var tries = 0; ports.Count < count; tries++)
            {
                // A run that has used most of the range starts over: those gateways are long gone.
                if (tries > 10 * (low - Lowest)) { Given.Clear(); tries = 0; }
                var port = Pick.Next(Lowest, low);
                if (Given.Contains(port) || !Bindable(port)) continue;
                Given.Add(port);
                ports.Add(port);
            }
        }
        return ports.ToArray();
    }

    private static bool Bindable(int port)
    {
        try
        {
            var l = new TcpListener(IPAddress.Loopback, port);
            l.Start();
            l.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static (int Low, int High) EphemeralRange()
    {
        try
        {
            var parts = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return (32768, 60999); // Linux's default
        }
    }

    /// <summary>Where the ephemeral range leaves no room below it: the kernel's own pick.</summary>
    private static int[] FromTheKernel(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ =>
        {
            var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            return l;
        }).ToList();
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }
}
