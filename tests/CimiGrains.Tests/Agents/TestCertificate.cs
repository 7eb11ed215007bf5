using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CimiGrains.Tests.Agents;

/// <summary>A self-signed server certificate for loopback made at test time, written as PEM files
/// (certificate, and its unencrypted PKCS#8 key) into a folder removed on dispose.</summary>
public sealed class TestCertificate : IDisposable
{
    private readonly DirectoryInfo _folder;

    private TestCertificate(DirectoryInfo folder, string thumbprint)
    {
        _folder = folder;
        Thumbprint = thumbprint;
    }

    public string CertificatePath => Path.Combine(_folder.FullName, "cert.pem");
    public string KeyPath => Path.Combine(_folder.FullName, "key.pem");
    public string Thumbprint { get; }

    /// <summary>Valid for 127.0.0.1 and localhost, for server authentication, for one day.</summary>
    public static TestCertificate Create(string commonName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        var folder = Directory.CreateTempSubdirectory("cimi-tls-");
        var result = new TestCertificate(folder, certificate.Thumbprint);
        File.WriteAllText(result.CertificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(result.KeyPath, key.ExportPkcs8PrivateKeyPem());
        return result;
    }

    public void Dispose() => _folder.Delete(recursive: true);
}
