using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace GuardDutyCoverage.Tests.Runtime;

/// <summary>Collects log lines so tests can assert on what was logged.</summary>
public sealed class ListLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, formatter(state, exception), exception));

    public override string ToString() => string.Join("\n", Entries.Select(e => $"{e.Level}: {e.Message}"));
}
