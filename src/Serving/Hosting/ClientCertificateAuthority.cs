using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Serving.Hosting;

/// <summary>
/// Mutual TLS against a private authority: when <see cref="AdminOptions.ClientCertificateAuthorityPath"/>
/// is set, a client certificate is accepted only if it chains to that authority (and only to it:
/// the system's roots do not count). Which endpoints ask for a certificate is Kestrel's own
/// per-endpoint <c>ClientCertificateMode</c>.
/// </summary>
internal sealed class ClientCertificateAuthority(IOptions<AdminOptions> admin) : IConfigureOptions<KestrelServerOptions>
{
    public void Configure(KestrelServerOptions options)
    {
        var path = admin.Value.ClientCertificateAuthorityPath;
        if (path.Length == 0)
        {
            return;
        }

        var authority = X509Certificate2.CreateFromPem(File.ReadAllText(path));
        options.ConfigureHttpsDefaults(https => https.ClientCertificateValidation = (certificate, _, _) => ChainsTo(certificate, authority));
    }

    internal static bool ChainsTo(X509Certificate2 certificate, X509Certificate2 authority)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2")); // client authentication
        return chain.Build(certificate);
    }
}
