using Grpc.Core;

namespace Serving.Api;

/// <summary>Builds the status errors clients see; each message names the field or the reason.</summary>
internal static class RpcErrors
{
    public static RpcException InvalidArgument(string field, string problem) =>
        new(new Status(StatusCode.InvalidArgument, $"{field}: {problem}"), new Metadata { { "field", field } });
}
