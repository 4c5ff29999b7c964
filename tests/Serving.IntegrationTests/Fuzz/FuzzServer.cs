namespace Serving.IntegrationTests.Fuzz;

/// <summary>
/// The server the fuzzers call: its own, so thousands of hostile calls disturb no other test's
/// counts, with its error log recorded. The in-flight limit is fixed at 64 (the minimum raised to
/// the maximum): four times the fuzzers' 16 calls in flight, so a busy moment on a small machine
/// does not shrink the adaptive limit and turn most calls away before they are read.
/// RESOURCE_EXHAUSTED stays an allowed answer all the same.
/// </summary>
public sealed class FuzzServer : ConfiguredServer
{
    public FuzzServer() => Server.LoggerProviders.Add(ErrorLog);

    public ServerErrorLog ErrorLog { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string?>> Settings => new Dictionary<string, string?>
    {
        ["Serving:MinInFlightRequests"] = "64",
        ["Serving:MaxInFlightRequests"] = "64",
    };
}

/// <summary>The fuzzers share one server and run one after the other.</summary>
[CollectionDefinition(Name)]
public sealed class FuzzedServer : ICollectionFixture<FuzzServer>
{
    public const string Name = "fuzz";
}
