using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuardDutyCoverage.Runtime;

/// <summary>What the GC reports: the heap after the last collection, what it has committed, and bytes allocated so far.</summary>
public readonly record struct GcFigures(long HeapSizeBytes, long CommittedBytes, long AllocatedBytes);

/// <summary>
/// Returns the GC's free memory to the operating system once a burst is over. A burst (an initial LIST of thousands of
/// pods, a roll-out) leaves the GC with free regions it keeps committed until later collections need them, and a quiet
/// operator makes no later collections: measured at 5,000 pods, the heap was 45 MiB and the committed memory 134 MiB,
/// for as long as the process ran. Go's scavenger returns such memory in the background; .NET's equivalent is a
/// collection in <see cref="GCCollectionMode.Aggressive"/> mode, made for a process that knows it has gone quiet.
/// </summary>
/// <remarks>
/// Each <see cref="Period"/> the trimmer looks once: when the process allocated less than its own heap (and at least
/// <see cref="QuietAllocationBytes"/> counts as little) since the last look, the burst is over; when, besides, the
/// committed memory exceeds the heap by more than <see cref="MinSlackBytes"/> and a quarter of the heap, and the last trim
/// is at least <see cref="MinInterval"/> ago, it runs one aggressive, compacting, blocking collection. Measured at 5,000
/// agent pods, a settled operator still allocates about 2 MiB/s (watch bookmarks, metrics scrapes), so "quiet" is
/// relative to the heap, not zero. A full collection of a heap of tens of MiB takes tens of milliseconds, at most once
/// per <see cref="MinInterval"/>.
/// </remarks>
public sealed class MemoryTrimmer
{
    private readonly Func<GcFigures> read;
    private readonly Action trim;
    private readonly TimeProvider time;
    private readonly Counter? trims;
    private readonly ILogger logger;
    private long? lastAllocated;
    private DateTimeOffset? lastTrim;

    /// <param name="period">How often to look (the CLI's <c>--memory-trim-period</c>).</param>
    /// <param name="registry">Where <c>dotnet_gc_trims_total</c> is registered; null: no metric.</param>
    /// <param name="read">The GC's figures; null: <see cref="GC"/>'s.</param>
    /// <param name="trim">The collection; null: <see cref="GC.Collect(int, GCCollectionMode, bool, bool)"/> aggressive.</param>
    public MemoryTrimmer(TimeSpan period, TimeProvider? timeProvider = null, MetricsRegistry? registry = null, ILogger? logger = null, Func<GcFigures>? read = null, Action? trim = null)
    {
        if (period <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(period), "the trim period must be positive");
        }

        Period = period;
        time = timeProvider ?? TimeProvider.System;
        this.logger = logger ?? NullLogger.Instance;
        this.read = read ?? ReadGc;
        this.trim = trim ?? (() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true));
        trims = registry?.Counter("dotnet_gc_trims_total", "Aggressive collections run to return the GC's free memory to the operating system after a burst.");
    }

    public TimeSpan Period { get; }

    /// <summary>
    /// Committed memory above the heap below which nothing is trimmed. Measured idle (a small cluster): heap 5-7 MiB,
    /// committed 16-27 MiB; a trim there takes RSS from 67-71 to 51 MiB, so the floor is below that slack.
    /// </summary>
    public long MinSlackBytes { get; init; } = 8L << 20;

    /// <summary>Allocation per period that always counts as quiet; above it, quiet means less than the heap's size.</summary>
    public long QuietAllocationBytes { get; init; } = 16L << 20;

    /// <summary>The least time between two trims.</summary>
    public TimeSpan MinInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Looks once; returns whether it trimmed.</summary>
    public bool Check()
    {
        var before = read();
        var allocated = lastAllocated is { } last ? before.AllocatedBytes - last : long.MaxValue;
        lastAllocated = before.AllocatedBytes;
        var slack = before.CommittedBytes - before.HeapSizeBytes;
        var now = time.GetUtcNow();
        if (allocated > Math.Max(QuietAllocationBytes, before.HeapSizeBytes) || slack < MinSlackBytes || slack < before.HeapSizeBytes / 4 ||
            now - lastTrim < MinInterval)
        {
            logger.LogDebug(
                "no memory trim: {Allocated:F1} MiB allocated since the last look, heap {Heap:F1} MiB, committed {Committed:F1} MiB",
                allocated == long.MaxValue ? double.NaN : allocated / 1048576.0,
                before.HeapSizeBytes / 1048576.0,
                before.CommittedBytes / 1048576.0);
            return false;
        }

        trim();
        var after = read();
        lastAllocated = after.AllocatedBytes;
        lastTrim = now;
        trims?.Inc();
        logger.LogDebug(
            "returned free GC memory to the OS: committed {Before:F1} → {After:F1} MiB, heap {Heap:F1} MiB",
            before.CommittedBytes / 1048576.0,
            after.CommittedBytes / 1048576.0,
            after.HeapSizeBytes / 1048576.0);
        return true;
    }

    /// <summary>Raised on the loop after each look, with whether it trimmed (tests wait on it).</summary>
    public event Action<bool>? Checked;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var next = Task.Delay(Period, time, cancellationToken);
        while (true)
        {
            try
            {
                await next.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            // The next look is scheduled before this one: a clock moved right after it (a test's) still finds it armed.
            next = Task.Delay(Period, time, cancellationToken);

            // Not Checked?.Invoke(Check()): with no subscriber that would skip the look itself.
            var trimmed = Check();
            Checked?.Invoke(trimmed);
        }
    }

    private static GcFigures ReadGc()
    {
        var info = GC.GetGCMemoryInfo();
        return new GcFigures(info.HeapSizeBytes, info.TotalCommittedBytes, GC.GetTotalAllocatedBytes(precise: false));
    }
}
