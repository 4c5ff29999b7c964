using System.Globalization;
using Grpc.Core;

namespace Serving.LoadTest.Transport;

/// <summary>
/// The status label each outcome is counted under: gRPC codes by their canonical names (OK,
/// RESOURCE_EXHAUSTED, ...), REST by HTTP code (HTTP_200, HTTP_429, ...), plus the client's own outcomes.
/// Labels are interned so counting allocates nothing.
/// </summary>
internal static class StatusLabels
{
    public const string Ok = "OK";

    /// <summary>Never sent: the in-flight cap was reached at its intended time.</summary>
    public const string ClientDropped = "CLIENT_DROPPED";

    /// <summary>Cancelled by the client (drain timeout or Ctrl+C).</summary>
    public const string Cancelled = "CANCELLED";

    /// <summary>The client's own REST timeout (<c>--deadline-ms</c>) fired.</summary>
    public const string ClientTimeout = "CLIENT_TIMEOUT";

    /// <summary>The response arrived but did not carry one score per candidate.</summary>
    public const string BadResponse = "BAD_RESPONSE";

    /// <summary>The REST connection failed (refused, reset).</summary>
    public const string ConnectionError = "CONNECTION_ERROR";

    /// <summary>Any other client-side exception.</summary>
    public const string ClientError = "CLIENT_ERROR";

    private static readonly string[] HttpNames =
        [.. Enumerable.Range(0, 600).Select(code => "HTTP_" + code.ToString(CultureInfo.InvariantCulture))];

    /// <summary>The server's own name for the status (<see cref="Contracts.GrpcStatusNames"/>), so reports and metrics agree.</summary>
    public static string ForGrpc(StatusCode code) => Contracts.GrpcStatusNames.Of(code);

    public static string ForHttp(int statusCode) =>
        statusCode >= 0 && statusCode < HttpNames.Length ? HttpNames[statusCode] : "HTTP_" + statusCode.ToString(CultureInfo.InvariantCulture);

    /// <summary>Successful outcomes: gRPC OK and HTTP 2xx.</summary>
    public static bool IsSuccess(string label) =>
        label == Ok || (label.Length == 8 && label.StartsWith("HTTP_2", StringComparison.Ordinal));
}
