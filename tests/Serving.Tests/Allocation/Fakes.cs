using Microsoft.Extensions.Logging;
using Serving.Allocation;
using Serving.Batching;

namespace Serving.Tests.Allocation;

/// <summary>A model whose knobs are plain fields.</summary>
internal sealed class FakeModel(string name) : IControlledModel
{
    public string Name { get; } = name;
    public TimeSpan Slo { get; set; } = TimeSpan.FromMilliseconds(10);
    public BatchingMode Mode { get; set; } = BatchingMode.Adaptive;
    public int MaxBatchRows { get; set; } = 1024;
    public int TargetBatchRows { get; set; } = 256;
    public TimeSpan MaxQueueDelay { get; set; } = TimeSpan.FromMilliseconds(2);
    public Dictionary<string, (int Active, int Loaded)> Pools { get; } = new() { ["cpu"] = (2, 2) };

    public IReadOnlyList<DeviceReplicas> Devices => Pools.Select(p => new DeviceReplicas(p.Key, p.Value.Active, p.Value.Loaded)).ToList();

    public int SetReplicas(string device, int replicas)
    {
        var (_, loaded) = Pools[device];
        var set = Math.Clamp(replicas, 1, loaded);
        Pools[device] = (set, loaded);
        return set;
    }

    public TimeSpan PredictCompute(int rows) => TimeSpan.FromMilliseconds(0.5 + (0.01 * rows));
}

internal sealed class FakeModelSource(params IControlledModel[] models) : IControlledModelSource
{
    public IReadOnlyList<IControlledModel> Models { get; } = models;
}

/// <summary>Returns the snapshot it is given (or throws), and signals each read.</summary>
internal sealed class FakeLatencySource : ILatencySource
{
    private TaskCompletionSource _read = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Name => "Fake";
    public Dictionary<string, LatencySnapshot> Next { get; } = new(StringComparer.Ordinal);
    public Exception? Failure { get; set; }
    public int Reads { get; private set; }

    /// <summary>Completes at the next read.</summary>
    public Task NextRead => Volatile.Read(ref _read).Task;

    public Task<IReadOnlyDictionary<string, LatencySnapshot>> ReadAsync(IReadOnlyCollection<string> models, CancellationToken cancellationToken)
    {
        Reads++;
        var read = Interlocked.Exchange(ref _read, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        read.TrySetResult();
        return Failure is { } failure
            ? Task.FromException<IReadOnlyDictionary<string, LatencySnapshot>>(failure)
            : Task.FromResult<IReadOnlyDictionary<string, LatencySnapshot>>(new Dictionary<string, LatencySnapshot>(Next, StringComparer.Ordinal));
    }
}

/// <summary>Keeps every log entry with its structured state.</summary>
internal sealed class CapturingLogger<T> : ILogger<T>
{
    public List<(LogLevel Level, string Message, IReadOnlyList<KeyValuePair<string, object?>> State)> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var fields = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
        lock (Entries)
        {
            Entries.Add((logLevel, formatter(state, exception), fields));
        }
    }
}
