using GuardDutyCoverage.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace GuardDutyCoverage.Tests.Runtime;

public sealed class WorkQueueTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(20);
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task AddsOfAWaitingKeyCoalesceAndOrderIsFifo()
    {
        using var queue = new WorkQueue<string>("q", time);
        queue.Add("a");
        queue.Add("b");
        queue.Add("a");
        queue.Add("c");
        queue.Add("b");

        Assert.Equal(3, queue.Count);
        Assert.Equal("a", (await queue.GetAsync())!.Key);
        Assert.Equal("b", (await queue.GetAsync())!.Key);
        Assert.Equal("c", (await queue.GetAsync())!.Key);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task AKeyBeingProcessedIsNotHandedOutAgainUntilDone()
    {
        using var queue = new WorkQueue<string>("q", time);
        queue.Add("a");
        var first = await queue.GetAsync();
        queue.Add("a");
        queue.Add("a");

        Assert.Equal(0, queue.Count);
        var second = queue.GetAsync();
        Assert.False(second.IsCompleted);

        queue.Done(first!.Key);
        Assert.Equal("a", (await second.WaitAsync(Generous))!.Key);
        queue.Done("a");
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task AWaitingGetterReceivesTheNextAdd()
    {
        using var queue = new WorkQueue<string>("q", time);
        var get = queue.GetAsync();
        Assert.False(get.IsCompleted);
        queue.Add("x");
        Assert.Equal("x", (await get.WaitAsync(Generous))!.Key);
    }

    [Fact]
    public async Task ACancelledGetterDoesNotSwallowAKey()
    {
        using var queue = new WorkQueue<string>("q", time);
        using var cancel = new CancellationTokenSource();
        var abandoned = queue.GetAsync(cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);

        queue.Add("k");
        Assert.Equal(1, queue.Count);
        Assert.Equal("k", (await queue.GetAsync())!.Key);
    }

    [Fact]
    public async Task AddAfterWaitsForTheClockAndTheEarliestRequestWins()
    {
        using var queue = new WorkQueue<string>("q", time);
        queue.AddAfter("a", TimeSpan.FromSeconds(10));
        queue.AddAfter("a", TimeSpan.FromSeconds(3));
        queue.AddAfter("a", TimeSpan.FromSeconds(30));
        queue.AddAfter("b", TimeSpan.FromSeconds(5));
        Assert.Equal(0, queue.Count);
        Assert.Equal(2, queue.DelayedCount);

        time.Advance(TimeSpan.FromSeconds(2.999));
        Assert.Equal(0, queue.Count);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, queue.Count);
        Assert.Equal("a", (await queue.GetAsync())!.Key);

        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("b", (await queue.GetAsync())!.Key);

        // The superseded 10 s and 30 s requests for "a" were dropped.
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, queue.Count);
        Assert.Equal(0, queue.DelayedCount);
    }

    [Fact]
    public void AddAfterOfAQueuedKeyCoalesces()
    {
        using var queue = new WorkQueue<string>("q", time);
        queue.Add("a");
        queue.AddAfter("a", TimeSpan.FromSeconds(1));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, queue.Count);
    }

    [Fact]
    public void RateLimiterDoublesFrom5msTo1000sAndNeverDrops()
    {
        var limiter = new ExponentialFailureRateLimiter<string>();
        var delays = Enumerable.Range(0, 40).Select(_ => limiter.When("k")).ToList();

        Assert.Equal(TimeSpan.FromMilliseconds(5), delays[0]);
        Assert.Equal(TimeSpan.FromMilliseconds(10), delays[1]);
        Assert.Equal(TimeSpan.FromMilliseconds(20), delays[2]);
        Assert.Equal(TimeSpan.FromMilliseconds(5 * 1024), delays[10]);
        Assert.Equal(TimeSpan.FromSeconds(1000), delays[18]);
        Assert.All(delays.Skip(18), d => Assert.Equal(TimeSpan.FromSeconds(1000), d));
        Assert.Equal(40, limiter.NumRequeues("k"));
        Assert.Equal(TimeSpan.FromMilliseconds(5), limiter.When("other"));

        limiter.Forget("k");
        Assert.Equal(0, limiter.NumRequeues("k"));
        Assert.Equal(TimeSpan.FromMilliseconds(5), limiter.When("k"));
    }

    [Fact]
    public async Task RateLimitedRetriesBackOffPerKeyAndForgetResets()
    {
        var registry = new MetricsRegistry();
        using var queue = new WorkQueue<string>("q", time, metrics: new RuntimeMetrics(registry));
        queue.AddRateLimited("k");
        time.Advance(TimeSpan.FromMilliseconds(4));
        Assert.Equal(0, queue.Count);
        time.Advance(TimeSpan.FromMilliseconds(1));
        var item = await queue.GetAsync();
        queue.AddRateLimited(item!.Key);
        queue.Done(item.Key);
        time.Advance(TimeSpan.FromMilliseconds(9));
        Assert.Equal(0, queue.Count);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, queue.Count);
        Assert.Equal(2, queue.NumRequeues("k"));

        queue.Forget("k");
        Assert.Equal(0, queue.NumRequeues("k"));
        Assert.Equal(2, registry.Counter("workqueue_retries_total", "", "name", "controller").Value("q", "q"));
    }

    [Fact]
    public async Task ShutDownDrainsWaitingKeysThenEnds()
    {
        using var queue = new WorkQueue<string>("q", time);
        queue.Add("a");
        queue.Add("b");
        queue.AddAfter("later", TimeSpan.FromSeconds(1));
        var inFlight = await queue.GetAsync();

        var drain = queue.ShutDownWithDrainAsync();
        queue.Add("c");
        Assert.True(queue.IsShuttingDown);
        Assert.False(drain.IsCompleted);

        Assert.Equal("b", (await queue.GetAsync())!.Key);
        Assert.Null(await queue.GetAsync());
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Null(await queue.GetAsync());

        queue.Done(inFlight!.Key);
        Assert.False(drain.IsCompleted);
        queue.Done("b");
        await drain.WaitAsync(Generous);
    }

    [Fact]
    public async Task ShutDownReleasesWaitingGetters()
    {
        using var queue = new WorkQueue<string>("q", time);
        var waiting = queue.GetAsync();
        queue.ShutDown();
        Assert.Null(await waiting.WaitAsync(Generous));
    }

    [Fact]
    public async Task MetricsTrackDepthAddsAndQueueTime()
    {
        var registry = new MetricsRegistry();
        using var queue = new WorkQueue<string>("coverage", time, metrics: new RuntimeMetrics(registry));
        queue.Add("a");
        queue.Add("b");
        queue.Add("a");
        Assert.Equal(2, registry.Gauge("workqueue_depth", "", "name", "controller").Value("coverage", "coverage"));
        Assert.Equal(2, registry.Counter("workqueue_adds_total", "", "name", "controller").Value("coverage", "coverage"));

        time.Advance(TimeSpan.FromMilliseconds(250));
        var item = await queue.GetAsync();
        time.Advance(TimeSpan.FromSeconds(2));
        queue.Done(item!.Key);

        var queued = registry.Histogram("workqueue_queue_duration_seconds", "", Histogram.ExponentialBuckets(10e-9, 10, 12), "name", "controller").Value("coverage", "coverage");
        Assert.Equal((1, 0.25), queued);
        var work = registry.Histogram("workqueue_work_duration_seconds", "", Histogram.ExponentialBuckets(10e-9, 10, 12), "name", "controller").Value("coverage", "coverage");
        Assert.Equal((1, 2.0), work);
        Assert.Equal(1, registry.Gauge("workqueue_depth", "", "name", "controller").Value("coverage", "coverage"));
    }

    [Fact]
    public async Task ConcurrentWorkersNeverHoldTheSameKey()
    {
        using var queue = new WorkQueue<int>("q");
        var holders = new int[10];
        var violations = 0;
        var processed = 0;
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (await queue.GetAsync(stop.Token) is { } item)
            {
                if (Interlocked.Increment(ref holders[item.Key]) != 1)
                {
                    Interlocked.Increment(ref violations);
                }

                await Task.Yield();
                Interlocked.Decrement(ref holders[item.Key]);
                Interlocked.Increment(ref processed);
                queue.Done(item.Key);
            }
        })).ToArray();

        for (var i = 0; i < 5000; i++)
        {
            queue.Add(i % 10);
            if (i % 50 == 0)
            {
                await Task.Yield();
            }
        }

        await queue.ShutDownWithDrainAsync().WaitAsync(Generous);
        await Task.WhenAll(workers).WaitAsync(Generous);
        Assert.Equal(0, violations);
        Assert.InRange(processed, 10, 5000);
    }

    [Fact]
    public async Task DescribeTellsQueuedProcessingAndDelayedKeysWithTheClock()
    {
        using var queue = new WorkQueue<string>("q", time);
        queue.Add("a");
        queue.Add("b");
        var taken = await queue.GetAsync();
        queue.AddAfter("c", TimeSpan.FromSeconds(5));

        Assert.Equal(
            "q: 1 queued, 1 processing, 1 delayed (next due 2026-11-26T12:00:05.0000000+00:00, clock 2026-11-26T12:00:00.0000000+00:00)",
            queue.Describe());

        queue.Done(taken!.Key);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal("q: 2 queued, 0 processing, 0 delayed (next due -, clock 2026-11-26T12:00:05.0000000+00:00)", queue.Describe());
    }
}
