using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Xunit.Abstractions;
using CimiGrains.Tests.Agents;

namespace CimiGrains.Tests.Security;

/// <summary>Security headers on every answer, and the CIMI API over HTTPS (TLS 1.2/1.3 only).</summary>
[Collection(AuthenticationCollection.Name)]
public sealed class SecurityHeadersTests(AuthenticationFixture fixture)
{
    [Theory]
    [InlineData("/cimi/cloudEntryPoint", true)]
    [InlineData("/cimi/cloudEntryPoint", false)]
    [InlineData("/cimi/machines/no-such-machine", true)]
    [InlineData("/health/live", false)]
    [InlineData("/no/such/path", false)]
    public async Task Every_answer_carries_the_security_headers_and_no_Server_header(string path, bool authenticated)
    {
        using var user = await Tenants.CreateAsync(fixture.First, "hdr");
        using var anonymous = new CimiClient(fixture.First.BaseAddress, "", "");
        var response = authenticated
            ? await user.GetAsync(path)
            : await anonymous.SendAsync(HttpMethod.Get, path, null, null, headers: new Dictionary<string, string>());
        AssertSecurityHeaders(response);
        Assert.Null(response.Header("Strict-Transport-Security"));
    }

    internal static void AssertSecurityHeaders(CimiResponse response)
    {
        Assert.Equal("nosniff", response.Header("X-Content-Type-Options"));
        Assert.Contains("no-store", response.Header("Cache-Control") ?? "");
        Assert.Equal("DENY", response.Header("X-Frame-Options"));
        Assert.Contains("frame-ancestors 'none'", response.Header("Content-Security-Policy") ?? "");
        Assert.Equal("no-referrer", response.Header("Referrer-Policy"));
        Assert.Null(response.Header("Server"));
    }
}

#pragma warning disable SYSLIB0039 // TLS 1.1 on purpose: the tests prove it is refused.
public sealed class TransportSecurityTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_CIMI_API_serves_HTTPS_with_the_configured_certificate_and_TLS_12_or_13_only()
    {
        using var certificate = TestCertificate.Create("cimigrains-https-test");
        var postgres = await TestDatabase.CreateAsync("https");
        await using var gateway = await GatewayProcess.StartAsync(postgres, new Dictionary<string, string>
        {
            ["CIMI_HTTPS_CERT"] = certificate.CertificatePath,
            ["CIMI_HTTPS_KEY"] = certificate.KeyPath,
        });
        Assert.Equal("https", gateway.BaseAddress.Scheme);

        using var http = new HttpClient(new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert?.Thumbprint == certificate.Thumbprint,
        }) { BaseAddress = gateway.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/cimi/cloudEntryPoint");
        request.Headers.Authorization = new("Basic", Convert.ToBase64String("admin:"u8.ToArray().Concat(System.Text.Encoding.UTF8.GetBytes(GatewayProcess.AdminPassword)).ToArray()));
        using var response = await http.SendAsync(request);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Contains("max-age=", string.Join(",", response.Headers.GetValues("Strict-Transport-Security")));
        Assert.Contains("https://127.0.0.1", await response.Content.ReadAsStringAsync());

        Assert.Contains(await HandshakeAsync(gateway.HttpPort, SslProtocols.Tls12 | SslProtocols.Tls13, certificate.Thumbprint),
            new[] { SslProtocols.Tls12, SslProtocols.Tls13 });
        Assert.Equal(SslProtocols.Tls12, await HandshakeAsync(gateway.HttpPort, SslProtocols.Tls12, certificate.Thumbprint));

        // TLS 1.1 is refused by the gateway. Only meaningful where this client can speak TLS 1.1 at all:
        // a throwaway server that allows it proves that first.
        if (await ClientCanSpeakTls11Async(certificate))
        {
            await Assert.ThrowsAnyAsync<Exception>(() => HandshakeAsync(gateway.HttpPort, SslProtocols.Tls11, certificate.Thumbprint));
            output.WriteLine("TLS 1.1: this client speaks it to a server that allows it, and the gateway refused it.");
        }
        else
        {
            output.WriteLine("TLS 1.1: this platform's TLS library will not offer it at all, so its refusal could not be exercised.");
        }
    }

    [Fact]
    public async Task Listening_off_loopback_without_TLS_is_refused_unless_the_operator_allows_plain_HTTP()
    {
        var postgres = await TestDatabase.CreateAsync("plainhttp");
        GatewayProcess? started = null;
        var error = await Record.ExceptionAsync(async () => started = await GatewayProcess.StartAsync(postgres,
            new Dictionary<string, string> { ["CIMI_HTTP_ADDRESS"] = "0.0.0.0" }));
        if (started is not null) await started.DisposeAsync();
        var refused = Assert.IsType<InvalidOperationException>(error);
        Assert.Contains("CIMI_ALLOW_PLAIN_HTTP", refused.Message);
        Assert.Contains("CIMI_HTTPS_CERT", refused.Message);
    }

    private static async Task<SslProtocols> HandshakeAsync(int port, SslProtocols protocols, string thumbprint)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = protocols,
            RemoteCertificateValidationCallback = (_, cert, _, _) => cert is X509Certificate2 c && c.Thumbprint == thumbprint,
        });
        return tls.SslProtocol;
    }

    private static async Task<bool> ClientCanSpeakTls11Async(TestCertificate certificate)
    {
        using var serverCertificate = X509Certificate2.CreateFromPemFile(certificate.CertificatePath, certificate.KeyPath);
        var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
            var server = Task.Run(async () =>
            {
                using var accepted = await listener.AcceptTcpClientAsync();
                await using var tls = new SslStream(accepted.GetStream());
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = serverCertificate,
                    EnabledSslProtocols = SslProtocols.Tls11 | SslProtocols.Tls12,
                });
            });
            try
            {
                return await HandshakeAsync(port, SslProtocols.Tls11, certificate.Thumbprint) == SslProtocols.Tls11;
            }
            catch (Exception e) when (e is AuthenticationException or IOException)
            {
                return false;
            }
            finally
            {
                try { await server.WaitAsync(TimeSpan.FromSeconds(10)); } catch (Exception) { /* the probe's own outcome is what counts */ }
            }
        }
        finally
        {
            listener.Stop();
        }
    }
}
#pragma warning restore SYSLIB0039
