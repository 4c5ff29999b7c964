using Microsoft.Extensions.Options;

namespace Serving.Hosting;

/// <summary>
/// The admin listener (<c>Serving:Admin</c>): which Kestrel endpoints are admin listeners, where
/// gRPC reflection is served, and the bearer token model control calls need. Metrics, the
/// allocator's state, reflection and model control answer only there; the public endpoints serve
/// the ranking API and health only.
/// </summary>
public sealed class AdminOptions
{
    public const string SectionName = "Serving:Admin";

    /// <summary>The admin listeners by default: <c>Admin</c> (HTTP/1.1: metrics, REST) and <c>AdminGrpc</c> (h2c: gRPC).</summary>
    public static readonly IReadOnlyList<string> DefaultEndpoints = ["Admin", "AdminGrpc"];

    /// <summary>Names of the <c>Kestrel:Endpoints</c> that are admin listeners; empty: <see cref="DefaultEndpoints"/>.</summary>
    /// <remarks>Empty by default because configuration binding appends to an array's defaults.</remarks>
    public string[] Endpoints { get; set; } = [];

    /// <summary>Where gRPC reflection is served.</summary>
    public ReflectionExposure Reflection { get; set; } = ReflectionExposure.Admin;

    /// <summary>The bearer token model control calls must carry (<c>Authorization: Bearer …</c>); empty: every control call is refused.</summary>
    public string Token { get; set; } = "";

    /// <summary>
    /// A PEM file with the certificate authority that client certificates must chain to (mutual TLS,
    /// with <c>Kestrel:Endpoints:Admin:ClientCertificateMode=RequireCertificate</c>); empty: the
    /// system's trust store decides.
    /// </summary>
    public string ClientCertificateAuthorityPath { get; set; } = "";

    internal IReadOnlyList<string> EffectiveEndpoints => Endpoints.Length > 0 ? Endpoints : DefaultEndpoints;
}

/// <summary>Which listeners serve gRPC reflection.</summary>
public enum ReflectionExposure
{
    /// <summary>Only the admin listeners (the default: the public ports serve the ranking API and health only).</summary>
    Admin,

    /// <summary>Every listener (development: grpcurl against the public gRPC port without a proto file).</summary>
    All,

    /// <summary>Nowhere.</summary>
    Off,
}

/// <summary>Checks <see cref="AdminOptions"/>.</summary>
internal sealed class AdminOptionsValidator : IValidateOptions<AdminOptions>
{
    public ValidateOptionsResult Validate(string? name, AdminOptions options)
    {
        var problems = new List<string>();
        if (options.Endpoints.Any(string.IsNullOrWhiteSpace))
        {
            problems.Add($"{AdminOptions.SectionName}:Endpoints holds an empty endpoint name");
        }

        if (options.ClientCertificateAuthorityPath.Length > 0 && !File.Exists(options.ClientCertificateAuthorityPath))
        {
            problems.Add($"{AdminOptions.SectionName}:ClientCertificateAuthorityPath: no file at {options.ClientCertificateAuthorityPath}");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
