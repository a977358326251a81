using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KubeSandbox.Testing;

/// <summary>
/// A throw-away certificate authority, as one creates for a webhook's <c>caBundle</c>: an ECDSA P-256 CA valid for a
/// day, issuing server certificates for the given DNS names and IP addresses.
/// </summary>
public sealed class TestCertificateAuthority : IDisposable
{
    private readonly X509Certificate2 certificate;

    private TestCertificateAuthority(X509Certificate2 certificate) => this.certificate = certificate;

    /// <summary>The CA certificate, PEM encoded: what a webhook configuration's caBundle holds (base64 of this text).</summary>
    public string CertificatePem => certificate.ExportCertificatePem() + "\n";

    public static TestCertificateAuthority Create(string commonName = "sandbox-webhook-ca")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + commonName, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var created = request.CreateSelfSigned(now.AddHours(-1), now.AddDays(1));
        return new TestCertificateAuthority(Reload(created));
    }

    /// <summary>A TLS server certificate (with its private key) for the names given, signed by this CA.</summary>
    public X509Certificate2 IssueServerCertificate(IEnumerable<string> dnsNames, IEnumerable<IPAddress> ipAddresses)
    {
        ArgumentNullException.ThrowIfNull(dnsNames);
        ArgumentNullException.ThrowIfNull(ipAddresses);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=sandbox-webhook", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames)
        {
            san.AddDnsName(name);
        }

        foreach (var address in ipAddresses)
        {
            san.AddIpAddress(address);
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        // Valid exactly as long as the CA: a leaf may not outlive its issuer.
        using var issued = request.Create(certificate, certificate.NotBefore.ToUniversalTime(), certificate.NotAfter.ToUniversalTime(), serial);
        using var withKey = issued.CopyWithPrivateKey(key);
        return Reload(withKey);
    }

    public void Dispose() => certificate.Dispose();

    // Ephemeral keys are not usable by every TLS stack; a PKCS#12 round trip gives a persisted-key certificate.
    private static X509Certificate2 Reload(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
}
