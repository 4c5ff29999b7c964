using System.Collections;
using System.Diagnostics;
using Grpc.Core;
using OpenTelemetry.Trace;
using Serving.Batching;

namespace Serving.IntegrationTests;

/// <summary>The server with tracing on, its spans kept in memory (the OTLP exporter is there too, with nowhere to send).</summary>
public sealed class TracedServer : ConfiguredServer
{
    public TracedServer() => Server.ConfigureServices = services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(Spans));

    /// <summary>Every span this process exported; other tests' servers run beside this one, so filter by trace.</summary>
    public LockedCollection Spans { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string?>> Settings => new Dictionary<string, string?> { ["Serving:Tracing:Enabled"] = "true" };

    /// <summary>A list the exporter may add to from several threads at once.</summary>
    public sealed class LockedCollection : ICollection<Activity>
    {
        private readonly List<Activity> _items = [];

        public int Count
        {
            get
            {
                lock (_items)
                {
                    return _items.Count;
                }
            }
        }

        public bool IsReadOnly => false;

        public void Add(Activity item)
        {
            lock (_items)
            {
                _items.Add(item);
            }
        }

        public List<Activity> Snapshot()
        {
            lock (_items)
            {
                return [.. _items];
            }
        }

        public void Clear()
        {
            lock (_items)
            {
                _items.Clear();
            }
        }

        public bool Contains(Activity item) => Snapshot().Contains(item);

        public void CopyTo(Activity[] array, int arrayIndex) => Snapshot().CopyTo(array, arrayIndex);

        public bool Remove(Activity item)
        {
            lock (_items)
            {
                return _items.Remove(item);
            }
        }

        public IEnumerator<Activity> GetEnumerator() => Snapshot().GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

/// <summary>
/// A call that carries a W3C traceparent is traced end to end under the caller's trace: the
/// server span, feature assembly, the queue wait, and the batch (linked to the call, since a batch
/// serves many traces) with its device run.
/// </summary>
public sealed class TracingTests(TracedServer fixture) : IClassFixture<TracedServer>
{
    private const string Model = "criteo-deepfm";

    [Fact]
    public async Task A_call_with_a_traceparent_gets_its_server_assembly_queue_batch_and_device_spans_in_the_callers_trace()
    {
        var traceId = ActivityTraceId.CreateRandom();
        var callerSpan = ActivitySpanId.CreateRandom();
        var headers = new Metadata { { "traceparent", $"00-{traceId}-{callerSpan}-01" } };

        var response = await fixture.Server.Client.RankAsync(Requests.Synthetic(Model, 20, seed: 41), headers);
        Assert.Equal(20, response.Scores.Count);

        // The server span ends when the response is written; wait (bounded) until it is exported.
        Assert.True(SpinWait.SpinUntil(() => fixture.Spans.Snapshot().Any(s => s.TraceId == traceId && s.Kind == ActivityKind.Server), TimeSpan.FromSeconds(30)), "the server span was exported");
        var spans = fixture.Spans.Snapshot();
        var mine = spans.Where(s => s.TraceId == traceId).ToList();

        var server = Assert.Single(mine, s => s.Kind == ActivityKind.Server);
        Assert.Equal(callerSpan, server.ParentSpanId); // the caller's trace continues
        var assemble = Assert.Single(mine, s => s.OperationName == "serving.assemble");
        Assert.Equal(server.SpanId, assemble.ParentSpanId);
        var queue = Assert.Single(mine, s => s.OperationName == "serving.queue");
        Assert.Equal(server.SpanId, queue.ParentSpanId);
        Assert.Equal(20, queue.GetTagItem("serving.rows"));

        // The batch is a trace of its own, linked to every call it carried, this one included.
        var batch = Assert.Single(spans, s => s.OperationName == "serving.batch" && s.Links.Any(l => l.Context.TraceId == traceId));
        Assert.Equal("cpu", batch.GetTagItem("serving.device"));
        var run = Assert.Single(spans, s => s.OperationName == "serving.device_run" && s.ParentSpanId == batch.SpanId);
        Assert.Equal(batch.TraceId, run.TraceId);
        Assert.True(run.StartTimeUtc >= batch.StartTimeUtc && run.Duration <= batch.Duration, "the device run lies within its batch");
        Assert.True(queue.StartTimeUtc + queue.Duration <= run.StartTimeUtc + TimeSpan.FromMilliseconds(1), "the queue wait ends where the run starts");
    }

    [Fact]
    public async Task Health_checks_are_not_traced()
    {
        using var healthz = await fixture.Server.Http.GetAsync("/healthz");
        healthz.EnsureSuccessStatusCode();

        // A traced call after it: once its server span is exported, the health check's would be too.
        var traceId = ActivityTraceId.CreateRandom();
        await fixture.Server.Client.RankAsync(Requests.Synthetic(Model, 3, seed: 42), new Metadata { { "traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01" } });
        Assert.True(SpinWait.SpinUntil(() => fixture.Spans.Snapshot().Any(s => s.TraceId == traceId && s.Kind == ActivityKind.Server), TimeSpan.FromSeconds(30)), "the call's server span was exported");

        Assert.DoesNotContain(fixture.Spans.Snapshot(), s => s.Kind == ActivityKind.Server && (s.GetTagItem("url.path") as string) is "/healthz" or "/readyz");
        Assert.Contains(fixture.Spans.Snapshot(), s => s.Kind == ActivityKind.Server && (s.GetTagItem("url.path") as string) == "/serving.ranking.v1.RankingService/Rank");
    }
}
