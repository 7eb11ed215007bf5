using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CimiGrains.Gateway.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace CimiGrains.Gateway.Security;

/// <summary>
/// The CIMI API's listening socket: HTTPS (TLS 1.2 or 1.3 only) with the operator's certificate, or plain
/// HTTP. Plain HTTP carries every Basic password in clear, so off loopback it needs the operator to say so
/// (<c>CIMI_ALLOW_PLAIN_HTTP=true</c>, e.g. behind a TLS-terminating proxy); otherwise the gateway refuses
/// to start rather than quietly serve passwords over the network.
/// </summary>
public sealed class CimiHttpsEndpoint
{
    private CimiHttpsEndpoint(IPAddress address, X509Certificate2? certificate)
    {
        Address = address;
        Certificate = certificate;
    }

    public IPAddress Address { get; }

    /// <summary>The server certificate, or null for plain HTTP.</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>The endpoint the options describe, or why it must not be served (a message for the operator).</summary>
    public static (CimiHttpsEndpoint? Endpoint, string? Refusal) From(CimiGatewayOptions options)
    {
        if (!IPAddress.TryParse(options.HttpAddress, out var address))
            return (null, $"CIMI_HTTP_ADDRESS='{options.HttpAddress}' is not an IP address.");
        X509Certificate2? certificate = null;
        if (options.HttpsCertificatePath is { } path)
        {
            try
            {
                certificate = Load(path, options.HttpsKeyPath, options.HttpsCertificatePassword);
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                return (null, $"Cannot load the HTTPS certificate CIMI_HTTPS_CERT='{path}'" +
                    (options.HttpsKeyPath is { } key ? $" with the key CIMI_HTTPS_KEY='{key}'" : "") + $": {e.Message}");
            }
            if (!certificate.HasPrivateKey)
                return (null, $"The HTTPS certificate CIMI_HTTPS_CERT='{path}' comes without its private key: set CIMI_HTTPS_KEY.");
        }
        else if (options.HttpsKeyPath is not null)
        {
            return (null, "CIMI_HTTPS_KEY is set without CIMI_HTTPS_CERT.");
        }
        if (certificate is null && !IPAddress.IsLoopback(address) && !options.AllowPlainHttp)
        {
            return (null, $"CIMI_HTTP_ADDRESS={address} is not a loopback address and no HTTPS certificate is configured, " +
                "so Basic passwords would cross the network in clear. Set CIMI_HTTPS_CERT and CIMI_HTTPS_KEY (PEM files) " +
                "or CIMI_HTTPS_CERT to a .pfx, or set CIMI_ALLOW_PLAIN_HTTP=true if a TLS proxy in front of the gateway terminates HTTPS.");
        }
        return (new CimiHttpsEndpoint(address, certificate), null);
    }

    /// <summary>Listens on the CIMI port; with a certificate, TLS 1.2/1.3 only. Also drops the <c>Server</c> header.</summary>
    public void Listen(KestrelServerOptions kestrel, int port)
    {
        kestrel.AddServerHeader = false;
        kestrel.Listen(Address, port, listen =>
        {
            if (Certificate is null) return;
            listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = Certificate,
                SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            });
        });
    }

    private static X509Certificate2 Load(string path, string? keyPath, string? password)
    {
        if (path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase))
            return X509CertificateLoader.LoadPkcs12FromFile(path, password);
        return password is null
            ? X509Certificate2.CreateFromPemFile(path, keyPath)
            : X509Certificate2.CreateFromEncryptedPemFile(path, password, keyPath);
    }
}
