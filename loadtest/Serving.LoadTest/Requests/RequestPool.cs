using System.Text;
using Google.Protobuf;
using Serving.Contracts.Ranking.V1;

namespace Serving.LoadTest.Requests;

/// <summary>One ready-to-send request: the message, its size in rows and, for REST, its JSON body.</summary>
internal sealed record PooledRequest(RankRequest Message, int CandidateCount, byte[]? JsonBody)
{
    private byte[]? _protobuf;

    /// <summary>
    /// The message's protobuf encoding, computed once: the gRPC transport sends these bytes, so the
    /// generator's cost per request does not grow with the request's size the way the server's does.
    /// </summary>
    public byte[] Protobuf => _protobuf ??= Google.Protobuf.MessageExtensions.ToByteArray(Message);
}

/// <summary>
/// Requests built before the run starts, so building them is never inside the measurement. The run
/// sends them round-robin; with a few hundred entries the size distribution is well represented.
/// </summary>
internal sealed class RequestPool
{
    private readonly PooledRequest[] _items;

    public RequestPool(IReadOnlyList<PooledRequest> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0)
        {
            throw new ArgumentException("A request pool needs at least one request.", nameof(items));
        }

        _items = [.. items];
        foreach (var item in _items)
        {
            _ = item.Protobuf; // encode now, outside the measurement
        }
        MeanCandidates = _items.Average(r => (double)r.CandidateCount);
    }

    public int Count => _items.Length;

    public double MeanCandidates { get; }

    public IReadOnlyList<PooledRequest> Items => _items;

    public PooledRequest Get(long sequence) => _items[(int)(sequence % _items.Length)];

    /// <summary>Draws <paramref name="size"/> candidate counts and builds a request for each from consecutive table rows.</summary>
    public static RequestPool Build(
        RankRequestFactory factory, CandidateCountDistribution candidates, int size, int seed, bool withJsonBodies)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);

        var random = new Random(seed);
        var items = new List<PooledRequest>(size);
        long nextRow = 0;
        for (var i = 0; i < size; i++)
        {
            var count = candidates.Sample(random);
            var message = factory.Create(count, nextRow, $"lt-{i}");
            nextRow += count;
            var json = withJsonBodies ? Encoding.UTF8.GetBytes(JsonFormatter.Default.Format(message)) : null;
            items.Add(new PooledRequest(message, count, json));
        }

        return new RequestPool(items);
    }
}
