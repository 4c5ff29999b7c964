using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Serving.IntegrationTests.Fuzz;

/// <summary>
/// Collects what the server logs at Error and above, with the exception's stack trace: an
/// INTERNAL answer is logged there with its cause, which a fuzzing failure then shows.
/// </summary>
public sealed class ServerErrorLog : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _entries = new();

    public IReadOnlyCollection<string> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(ServerErrorLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                log._entries.Enqueue($"{logLevel} {category}: {formatter(state, exception)}\n{exception}");
            }
        }
    }
}
