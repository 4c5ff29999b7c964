using Grpc.Core;

namespace Serving.Contracts;

/// <summary>
/// The one vocabulary for call outcomes: gRPC status codes by their canonical names (OK,
/// RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, …, as the gRPC specification spells them). The server's
/// <c>serving_requests_total{status}</c> and the load generator's reports both use it, so a
/// dashboard and a load test report count the same thing under the same name.
/// </summary>
public static class GrpcStatusNames
{
    private static readonly string[] Names =
    [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
        "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
        "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    ];

    /// <summary>The canonical name of <paramref name="code"/>; <c>GRPC_&lt;n&gt;</c> for a code the specification does not define.</summary>
    public static string Of(StatusCode code)
    {
        var index = (int)code;
        return index >= 0 && index < Names.Length ? Names[index] : "GRPC_" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
