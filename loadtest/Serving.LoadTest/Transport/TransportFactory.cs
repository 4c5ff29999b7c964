namespace Serving.LoadTest.Transport;

/// <summary>Creates the transport a run's options ask for.</summary>
internal static class TransportFactory
{
    public static IRankTransport Create(LoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        TargetGuard.EnsureAllowed(options.Target, options.AllowRemote);
        return options.Transport == TransportKind.Rest
            ? new RestRankTransport(options.RestTarget, options.Model, options.Deadline)
            : new GrpcRankTransport(options.GrpcTarget, options.Deadline);
    }
}
