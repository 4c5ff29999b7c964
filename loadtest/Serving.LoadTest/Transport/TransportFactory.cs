namespace Serving.LoadTest.Transport;

/// <summary>Creates the transport a run's options ask for.</summary>
internal static class TransportFactory
{
    /// <summary>The transport; gRPC hands every response to <paramref name="observer"/> (REST responses are not parsed).</summary>
    public static IRankTransport Create(LoadOptions options, IRankResponseObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        TargetGuard.EnsureAllowed(options.Target, options.AllowRemote);
        if (options.Transport == TransportKind.Rest && options.GrpcMethod != GrpcMethod.Rank)
        {
            throw new ArgumentException("--grpc-method floor needs --transport grpc: the transport floor is a gRPC method only");
        }

        return options.Transport == TransportKind.Rest
            ? new RestRankTransport(options.RestTarget, options.Model, options.Deadline)
            : new GrpcRankTransport(options.GrpcTarget, options.Deadline, observer, options.GrpcMethod);
    }
}
