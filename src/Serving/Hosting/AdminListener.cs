using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Serving.Hosting;

/// <summary>Which listener an endpoint answers on: the public ones (ranking API) or the admin ones.</summary>
public enum Listener
{
    Public,
    Admin,
}

/// <summary>Endpoint metadata: the endpoint answers only on connections of <see cref="Listener"/>. Endpoints without it (health) answer on both.</summary>
public sealed record ListenerMetadata(Listener Listener);

/// <summary>
/// Marks every connection that arrives on an admin endpoint, in Kestrel itself (a connection
/// middleware on each named endpoint), so the mark cannot be forged by a request: a Host header or
/// path says nothing about which socket a request came in on.
/// </summary>
internal sealed class AdminConnectionMarking(IOptions<AdminOptions> admin, ILoggerFactory loggers) : IConfigureOptions<KestrelServerOptions>
{
    private static readonly object Marker = new();

    /// <summary>True when the request came in on an admin listener.</summary>
    public static bool IsAdmin(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(Marker, out _) == true;

    public void Configure(KestrelServerOptions options)
    {
        if (options.ConfigurationLoader is not { } loader)
        {
            loggers.CreateLogger<AdminConnectionMarking>().LogWarning(
                "Kestrel is not configured from the Kestrel section: no admin listener, so metrics, allocator state and model control are not served");
            return;
        }

        foreach (var name in admin.Value.EffectiveEndpoints)
        {
            loader.Endpoint(name, endpoint => endpoint.ListenOptions.Use(next => connection =>
            {
                connection.Items[Marker] = Marker;
                return next(connection);
            }));
        }
    }
}
