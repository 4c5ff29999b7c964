using System.Security.Cryptography;
using System.Text;
using Grpc.Core;

namespace Serving.Api;

/// <summary>
/// The bearer token model control calls must carry (<c>authorization: Bearer &lt;token&gt;</c>),
/// compared in constant time. With no token configured every control call is refused: a server is
/// never controllable by accident.
/// </summary>
internal sealed class AdminToken(string token)
{
    private const string Scheme = "Bearer ";
    private readonly byte[] _expected = Encoding.UTF8.GetBytes(token);

    /// <summary>Throws UNAUTHENTICATED unless the call carries the token.</summary>
    public void Demand(ServerCallContext context)
    {
        if (_expected.Length == 0)
        {
            throw RpcErrors.Unauthenticated("model control is off: no admin token is configured (Serving:Admin:Token)");
        }

        var header = context.RequestHeaders.GetValue("authorization");
        if (header is null || !header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            throw RpcErrors.Unauthenticated("authorization: model control needs 'Bearer <admin token>'");
        }

        var given = Encoding.UTF8.GetBytes(header.AsSpan(Scheme.Length).Trim().ToString());
        if (!CryptographicOperations.FixedTimeEquals(given, _expected))
        {
            throw RpcErrors.Unauthenticated("authorization: the bearer token is not the admin token");
        }
    }
}
