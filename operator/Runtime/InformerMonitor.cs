using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuardDutyCoverage.Runtime;

/// <summary>One informer that has not been current for longer than the threshold.</summary>
/// <param name="Name">The informer (resource, namespace, selectors).</param>
/// <param name="Since">When it stopped being current (or started, if it never was).</param>
/// <param name="LastError">The last LIST or WATCH failure, if any.</param>
public sealed record StaleInformer(string Name, DateTimeOffset Since, string? LastError);

/// <summary>
/// Watches the informers' currency: keeps <c>informer_last_sync_age_seconds</c> up to date, answers which informers
/// are stale (not current for longer than <see cref="StaleAfter"/>), and calls <see cref="Changed"/> whenever an
/// informer becomes stale or current again, so whoever depends on the caches (a reconciler marking its status
/// Unknown, then resuming) acts on the transition instead of waiting for the next event.
/// </summary>
public sealed class InformerMonitor
{
    private readonly Func<IReadOnlyList<IInformer>> informers;
    private readonly TimeProvider time;
    private readonly RuntimeMetrics? metrics;
    private readonly ILogger logger;
    private readonly Lock gate = new();
    private readonly Dictionary<string, (Currency Currency, DateTimeOffset? Since)> last = new(StringComparer.Ordinal);

    public InformerMonitor(Func<IReadOnlyList<IInformer>> informers, TimeSpan staleAfter, TimeProvider? timeProvider = null, RuntimeMetrics? metrics = null, ILogger? logger = null)
    {
        if (staleAfter <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(staleAfter), "the stale threshold must be positive");
        }

        this.informers = informers;
        StaleAfter = staleAfter;
        time = timeProvider ?? TimeProvider.System;
        this.metrics = metrics;
        this.logger = logger ?? NullLogger.Instance;
    }

    /// <summary>How long an informer may be not current before the view it gives is stale.</summary>
    public TimeSpan StaleAfter { get; }

    /// <summary>How often <see cref="RunAsync"/> looks.</summary>
    public TimeSpan Period { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Called (on the monitor's loop) when an informer became stale or current again.</summary>
    public event Action? Changed;

    /// <summary>The informers among <paramref name="among"/> (all when null) that are stale now.</summary>
    public IReadOnlyList<StaleInformer> Stale(IEnumerable<IInformer>? among = null)
    {
        var now = time.GetUtcNow();
        var stale = new List<StaleInformer>();
        foreach (var informer in among ?? informers())
        {
            if (informer.NotCurrentSince is { } since && now - since > StaleAfter)
            {
                stale.Add(new StaleInformer(informer.Name, since, informer.LastError));
            }
        }

        return stale;
    }

    /// <summary>Updates the gauge and reports transitions once.</summary>
    public void Refresh()
    {
        var now = time.GetUtcNow();
        var changed = false;
        lock (gate)
        {
            foreach (var informer in informers())
            {
                var since = informer.NotCurrentSince;
                var age = since is { } s ? Math.Max(0, (now - s).TotalSeconds) : 0;
                metrics?.InformerLastSyncAge.Set(age, informer.Resource, informer.Name);
                var currency = since is null ? Currency.Current : now - since > StaleAfter ? Currency.Stale : Currency.Lagging;
                var (before, beforeSince) = last.GetValueOrDefault(informer.Name, (Currency.Lagging, null));
                last[informer.Name] = (currency, since ?? beforeSince);
                if (currency == before)
                {
                    continue;
                }

                if (currency == Currency.Stale)
                {
                    logger.LogWarning("{Informer}: not current since {Since:O} (more than {Threshold}): {Error}", informer.Name, since, StaleAfter, informer.LastError ?? "no error recorded");
                    changed = true;
                }
                else if (currency == Currency.Current && beforeSince is { } wasSince && now - wasSince > StaleAfter)
                {
                    // Whoever judged this informer stale in between (a reconcile) must look again; an ordinary watch
                    // reconnect, shorter than the threshold, changes nothing.
                    logger.LogInformation("{Informer}: current again after {Duration}", informer.Name, now - wasSince);
                    changed = true;
                }
            }
        }

        if (changed)
        {
            Changed?.Invoke();
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Refresh();
            try
            {
                await Task.Delay(Period, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private enum Currency
    {
        Current,
        Lagging,
        Stale,
    }
}
