using System.Net.Http;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using Serving.Contracts.Ranking.V1;

namespace Serving.IntegrationTests;

/// <summary>
/// TLS on the public gRPC listener (HTTP/2 by ALPN) and mutual TLS on the admin listener against a
/// private authority: certificates made here, served from PEM files as Kestrel reads them.
/// </summary>
public sealed class TlsServer : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("serving-tls-").FullName;

    public ServerFixture Server { get; } = new();
    public X509Certificate2 Authority { get; private set; } = null!;
    public X509Certificate2 Client { get; private set; } = null!;
    public X509Certificate2 StrangerClient { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        using var authorityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Authority = Certificates.Authority("Serving test CA", authorityKey);
        using var strangerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var stranger = Certificates.Authority("Some other CA", strangerKey);
        var (serverCert, serverKey) = Certificates.Issue(Authority, authorityKey, "127.0.0.1", serverAuth: true);
        (Client, _) = Certificates.Issue(Authority, authorityKey, "admin client", serverAuth: false);
        (StrangerClient, _) = Certificates.Issue(stranger, strangerKey, "admin client", serverAuth: false);

        var certPath = Path.Combine(_folder, "tls.crt");
        var keyPath = Path.Combine(_folder, "tls.key");
        var caPath = Path.Combine(_folder, "ca.crt");
        await File.WriteAllTextAsync(certPath, serverCert.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, serverKey.ExportPkcs8PrivateKeyPem());
        await File.WriteAllTextAsync(caPath, Authority.ExportCertificatePem());
        serverKey.Dispose();
        serverCert.Dispose();

        Server.Settings["Serving:Admin:ClientCertificateAuthorityPath"] = caPath;
        Server.ConfigureListeners = (fixture, settings) =>
        {
            foreach (var (name, port) in new[] { ("Grpc", fixture.GrpcPort), ("Admin", fixture.AdminPort) })
            {
                settings[$"Kestrel:Endpoints:{name}:Url"] = $"https://127.0.0.1:{port}";
                settings[$"Kestrel:Endpoints:{name}:Certificate:Path"] = certPath;
                settings[$"Kestrel:Endpoints:{name}:Certificate:KeyPath"] = keyPath;
            }

            settings["Kestrel:Endpoints:Admin:ClientCertificateMode"] = "RequireCertificate";
        };
        await Server.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Authority.Dispose();
        Client.Dispose();
        StrangerClient.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>A handler that trusts only the test authority for the server, presenting <paramref name="client"/> when given.</summary>
    public SocketsHttpHandler Handler(X509Certificate2? client = null)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is X509Certificate2 presented && Certificates.ChainsTo(presented, Authority, serverAuth: true);
        if (client is not null)
        {
            handler.SslOptions.ClientCertificates = [client];
        }

        return handler;
    }
}

public class TlsTests(TlsServer fixture) : IClassFixture<TlsServer>
{
    [Fact]
    public async Task Grpc_over_tls_scores_like_cleartext()
    {
        using var channel = GrpcChannel.ForAddress($"https://127.0.0.1:{fixture.Server.GrpcPort}", new GrpcChannelOptions { HttpHandler = fixture.Handler() });
        var request = Requests.Synthetic("criteo-deepfm", 12, seed: 5);

        var response = await new RankingService.RankingServiceClient(channel).RankAsync(request);

        Assert.Equal(OnnxReference.Score("criteo-deepfm", request), response.Scores);
    }

    [Fact]
    public async Task The_admin_listener_requires_a_client_certificate_from_the_configured_authority()
    {
        var url = $"https://127.0.0.1:{fixture.Server.AdminPort}/metrics";
        using var withCertificate = new HttpClient(fixture.Handler(fixture.Client));
        using var without = new HttpClient(fixture.Handler());
        using var stranger = new HttpClient(fixture.Handler(fixture.StrangerClient));

        using var ok = await withCertificate.GetAsync(url);
        Assert.Equal(System.Net.HttpStatusCode.OK, ok.StatusCode);
        Assert.Contains("serving_ingress_limit", await ok.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => without.GetAsync(url));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => stranger.GetAsync(url));
    }
}

/// <summary>Certificates for the TLS tests: an authority, and leaf certificates it signs.</summary>
internal static class Certificates
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    public static X509Certificate2 Authority(string name, ECDsa key)
    {
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    public static (X509Certificate2 Certificate, ECDsa Key) Issue(X509Certificate2 authority, ECDsa authorityKey, string name, bool serverAuth)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(serverAuth ? ServerAuth : ClientAuth)], false));
        if (serverAuth)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(System.Net.IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(12);
        using var issued = request.Create(authority.SubjectName, X509SignatureGenerator.CreateForECDsa(authorityKey), DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), serial);
        return (issued.CopyWithPrivateKey(key), key);
    }

    public static bool ChainsTo(X509Certificate2 certificate, X509Certificate2 authority, bool serverAuth)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(serverAuth ? ServerAuth : ClientAuth));
        return chain.Build(certificate);
    }
}
