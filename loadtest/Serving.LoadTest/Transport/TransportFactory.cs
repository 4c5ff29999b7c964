namespace Serving.LoadTest.Transport;

/// <summary>Creates the transport a run's options ask for.</summary>
internal static class TransportFactory
{
    public static IRankTransport Create(LoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        TargetGuard.EnsureAllowed(options.Target, options.AllowRemote);
        if (options.Transport == TransportKind.Rest && options.GrpcMethod != GrpcMethod.Rank)
        {
            throw new ArgumentException("--grpc-method floor needs --transport grpc: the transport floor is a gRPC method only");
        }

        return options.Transport == TransportKind.Rest
            ? new RestRankTransport(options.RestTarget, options.Model, options.Deadline)
            : new GrpcRankTransport(options.GrpcTarget, options.Deadline, observer: null, options.GrpcMethod);
    }
}
