using GuardDutyCoverage.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace GuardDutyCoverage.Tests.Runtime;

public sealed class MemoryTrimmerTests
{
    private const long MiB = 1 << 20;

    /// <summary>A GC whose figures the test sets; a trim decommits everything above the heap, as an aggressive collection does.</summary>
    private sealed class FakeGc
    {
        public long Heap { get; set; } = 45 * MiB;

        public long Committed { get; set; } = 45 * MiB;

        public long Allocated { get; set; }

        public int Trims { get; private set; }

        public GcFigures Read() => new(Heap, Committed, Allocated);

        public void Trim()
        {
            Trims++;
            Committed = Heap + (2 * MiB);
        }
    }

    [Fact]
    public void TrimsOnceTheBurstIsOverAndOnlyWhileTheSlackIsLarge()
    {
        var gc = new FakeGc();
        var registry = new MetricsRegistry();
        var trimmer = new MemoryTrimmer(TimeSpan.FromSeconds(10), registry: registry, read: gc.Read, trim: gc.Trim);

        // The first look has nothing to compare the allocation with: never a trim.
        Assert.False(trimmer.Check());

        // A burst: 300 MiB allocated, 89 MiB of slack. Still busy: no trim.
        gc.Allocated += 300 * MiB;
        gc.Committed = 134 * MiB;
        Assert.False(trimmer.Check());

        // Quiet now (1 MiB in a period): one trim, and the slack is gone.
        gc.Allocated += 1 * MiB;
        Assert.True(trimmer.Check());
        Assert.Equal(1, gc.Trims);
        Assert.Equal(47 * MiB, gc.Committed);

        // Quiet and little slack: nothing to do, however often it looks.
        for (var i = 0; i < 5; i++)
        {
            gc.Allocated += 1 * MiB;
            Assert.False(trimmer.Check());
        }

        Assert.Equal(1, gc.Trims);
        Assert.Equal(1, registry.Counter("dotnet_gc_trims_total", "Aggressive collections run to return the GC's free memory to the operating system after a burst.").Value());
    }

    [Fact]
    public void SlackSmallAgainstTheHeapIsLeftAlone()
    {
        // 20 MiB of slack is above the 8 MiB floor but under a quarter of a 200 MiB heap: the GC's normal headroom.
        var gc = new FakeGc { Heap = 200 * MiB, Committed = 220 * MiB };
        var trimmer = new MemoryTrimmer(TimeSpan.FromSeconds(10), read: gc.Read, trim: gc.Trim);
        Assert.False(trimmer.Check());
        Assert.False(trimmer.Check());

        gc.Committed = 260 * MiB;
        Assert.True(trimmer.Check());
        Assert.Equal(1, gc.Trims);
    }

    [Fact]
    public void AnIdleOperatorsSmallHeapIsTrimmedToo()
    {
        // Measured on a small cluster: a 5 MiB heap with 16 MiB committed (RSS 67-71 MiB, 51 MiB after a trim).
        var gc = new FakeGc { Heap = 5 * MiB, Committed = 16 * MiB };
        var trimmer = new MemoryTrimmer(TimeSpan.FromSeconds(10), read: gc.Read, trim: gc.Trim);
        Assert.False(trimmer.Check());
        gc.Allocated += 1 * MiB;
        Assert.True(trimmer.Check());
        Assert.Equal(7 * MiB, gc.Committed);

        // 7 MiB of slack is under the floor: the GC's own headroom for the next allocations.
        var little = new FakeGc { Heap = 5 * MiB, Committed = 12 * MiB };
        var untouched = new MemoryTrimmer(TimeSpan.FromSeconds(10), read: little.Read, trim: little.Trim);
        Assert.False(untouched.Check());
        little.Allocated += 1 * MiB;
        Assert.False(untouched.Check());
        Assert.Equal(0, little.Trims);
    }

    [Fact]
    public void AllocationJustAboveTheQuietLimitDefersTheTrim()
    {
        // A heap of 4 MiB: the 8 MiB floor is the limit.
        var gc = new FakeGc { Heap = 4 * MiB, Committed = 100 * MiB };
        var trimmer = new MemoryTrimmer(TimeSpan.FromSeconds(10), read: gc.Read, trim: gc.Trim) { QuietAllocationBytes = 8 * MiB };
        Assert.False(trimmer.Check());

        gc.Allocated += (8 * MiB) + 1;
        Assert.False(trimmer.Check());
        gc.Allocated += 8 * MiB;
        Assert.True(trimmer.Check());
    }

    [Fact]
    public void ASettledProcessAllocatingLessThanItsHeapIsQuiet()
    {
        // 45 MiB of heap, 24 MiB allocated per period (what the operator did at 5,000 pods with nothing changing).
        var gc = new FakeGc { Committed = 134 * MiB };
        var trimmer = new MemoryTrimmer(TimeSpan.FromSeconds(10), read: gc.Read, trim: gc.Trim);
        Assert.False(trimmer.Check());
        gc.Allocated += 46 * MiB;
        Assert.False(trimmer.Check());
        gc.Allocated += 24 * MiB;
        Assert.True(trimmer.Check());
    }

    [Fact]
    public void TrimsAtMostOncePerMinInterval()
    {
        var time = new FakeTimeProvider();
        var gc = new FakeGc { Committed = 134 * MiB };
        var trimmer = new MemoryTrimmer(TimeSpan.FromSeconds(10), time, read: gc.Read, trim: gc.Trim);
        Assert.False(trimmer.Check());
        Assert.True(trimmer.Check());

        // The slack is back 10 s later: not yet.
        time.Advance(TimeSpan.FromSeconds(10));
        gc.Committed = 134 * MiB;
        Assert.False(trimmer.Check());
        time.Advance(TimeSpan.FromSeconds(49));
        Assert.False(trimmer.Check());
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(trimmer.Check());
        Assert.Equal(2, gc.Trims);
    }

    [Fact]
    public async Task RunsEveryPeriodOnItsClockUntilCancelled()
    {
        var time = new FakeTimeProvider();
        var gc = new FakeGc { Committed = 100 * MiB };
        var trimmer = new MemoryTrimmer(TimeSpan.FromSeconds(10), time, read: gc.Read, trim: gc.Trim);
        var looks = System.Threading.Channels.Channel.CreateUnbounded<bool>();
        trimmer.Checked += trimmed => looks.Writer.TryWrite(trimmed);
        using var stop = new CancellationTokenSource();
        var run = trimmer.RunAsync(stop.Token);

        // Nothing before the first period; the first look is a baseline, the trim comes with the second.
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.False(looks.Reader.TryRead(out _));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await looks.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(await looks.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, gc.Trims);

        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(run.IsCompletedSuccessfully);
        Assert.False(looks.Reader.TryRead(out _));
    }

    [Fact]
    public async Task LooksWithoutAnyoneListening()
    {
        // The operator subscribes nothing to Checked: the loop must look (and trim) all the same.
        var time = new FakeTimeProvider();
        var trimmed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gc = new FakeGc { Committed = 100 * MiB };
        var trimmer = new MemoryTrimmer(TimeSpan.FromSeconds(10), time, read: gc.Read, trim: () =>
        {
            gc.Trim();
            trimmed.TrySetResult();
        });
        using var stop = new CancellationTokenSource();
        var run = trimmer.RunAsync(stop.Token);

        // Without a subscriber nothing tells the test when the loop has re-armed, so it moves the clock until the trim
        // is seen (extra looks find no slack and trim nothing), with a generous deadline.
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!trimmed.Task.IsCompleted && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            time.Advance(TimeSpan.FromSeconds(10));
            await Task.WhenAny(trimmed.Task, Task.Delay(TimeSpan.FromMilliseconds(50)));
        }

        await trimmed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, gc.Trims);
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void APeriodMustBePositive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new MemoryTrimmer(TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MemoryTrimmer(TimeSpan.FromSeconds(-1)));
    }
}
