using GuardDutyCoverage.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace GuardDutyCoverage.Tests.Runtime;

public sealed class ControllerTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(20);
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
    private readonly MetricsRegistry registry = new();

    [Fact]
    public async Task DoneForgetsTheKeyAndCountsSuccess()
    {
        var controller = NewController((_, _) => Task.FromResult(ReconcileResult.Done));
        controller.Queue.AddRateLimited("k");
        time.Advance(TimeSpan.FromMilliseconds(5));
        var item = await controller.Queue.GetAsync();
        await controller.ProcessAsync(item!.Key, CancellationToken.None);

        Assert.Equal(0, controller.Queue.NumRequeues("k"));
        Assert.Equal(0, controller.Queue.Count + controller.Queue.DelayedCount);
        Assert.Equal(1, Total("success"));
        Assert.Equal(1, registry.Histogram("controller_runtime_reconcile_time_seconds", "", [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60], "controller").Value("test").Count);
    }

    [Fact]
    public async Task RequeueAfterComesBackAfterThatTime()
    {
        var controller = NewController((_, _) => Task.FromResult(ReconcileResult.RequeueAfter(TimeSpan.FromMinutes(5))));
        await controller.ProcessAsync("k", CancellationToken.None);

        time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromTicks(1));
        Assert.Equal(0, controller.Queue.Count);
        time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(1, controller.Queue.Count);
        Assert.Equal(1, Total("requeue_after"));
        Assert.Equal(0, controller.Queue.NumRequeues("k"));
    }

    [Fact]
    public async Task ExceptionsAreCaughtAndRetriedWithGrowingBackoff()
    {
        var attempts = 0;
        var controller = NewController((_, _) =>
        {
            attempts++;
            throw new InvalidOperationException("boom");
        });

        await controller.ProcessAsync("k", CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Equal(1, controller.Queue.Count);
        var item = await controller.Queue.GetAsync();
        await controller.ProcessAsync(item!.Key, CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(9));
        Assert.Equal(0, controller.Queue.Count);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, controller.Queue.Count);

        Assert.Equal(2, attempts);
        Assert.Equal(2, Total("error"));
        Assert.Equal(2, registry.Counter("controller_runtime_reconcile_errors_total", "", "controller").Value("test"));
        Assert.Equal(2, registry.Counter("controller_runtime_reconcile_panics_total", "", "controller").Value("test"));
    }

    [Fact]
    public async Task AnErrorResultIsRetriedButIsNotAPanic()
    {
        var controller = NewController((_, _) => Task.FromResult(ReconcileResult.Error("GuardDuty throttled")));
        await controller.ProcessAsync("k", CancellationToken.None);
        Assert.Equal(1, controller.Queue.NumRequeues("k"));
        Assert.Equal(1, registry.Counter("controller_runtime_reconcile_errors_total", "", "controller").Value("test"));
        Assert.Equal(0, registry.Counter("controller_runtime_reconcile_panics_total", "", "controller").Value("test"));
        time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Equal(1, controller.Queue.Count);
    }

    [Fact]
    public async Task RequeueIsRateLimitedWithoutCountingAnError()
    {
        var controller = NewController((_, _) => Task.FromResult(ReconcileResult.Requeue));
        await controller.ProcessAsync("k", CancellationToken.None);
        Assert.Equal(1, Total("requeue"));
        Assert.Equal(0, registry.Counter("controller_runtime_reconcile_errors_total", "", "controller").Value("test"));
        Assert.Equal(1, controller.Queue.DelayedCount);
    }

    [Fact]
    public async Task WorkersRunKeysConcurrentlyButNeverTheSameKeyTwice()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = new HashSet<string>();
        var maxConcurrent = 0;
        var sameKeyOverlap = false;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var done = new CountdownEvent(3);
        var controller = new Controller<string>(
            "test",
            async (key, ct) =>
            {
                lock (running)
                {
                    sameKeyOverlap |= !running.Add(key);
                    maxConcurrent = Math.Max(maxConcurrent, running.Count);
                    if (running.Count == 2)
                    {
                        started.TrySetResult();
                    }
                }

                await gate.Task.WaitAsync(ct);
                lock (running)
                {
                    running.Remove(key);
                }

                done.Signal();
                return ReconcileResult.Done;
            },
            new ControllerOptions { Workers = 2 },
            TimeProvider.System,
            new RuntimeMetrics(registry));
        using var stop = new CancellationTokenSource();
        var run = controller.RunAsync(stop.Token);
        controller.Queue.Add("a");
        controller.Queue.Add("b");
        await started.Task.WaitAsync(Generous);
        controller.Queue.Add("a");
        gate.SetResult();
        await Task.Run(() => done.Wait(Generous));

        Assert.Equal(2, maxConcurrent);
        Assert.False(sameKeyOverlap);
        Assert.Equal(2, registry.Gauge("controller_runtime_max_concurrent_reconciles", "", "controller").Value("test"));
        await stop.CancelAsync();
        await run.WaitAsync(Generous);
        Assert.Equal(0, registry.Gauge("controller_runtime_active_workers", "", "controller").Value("test"));
    }

    [Fact]
    public async Task StoppingWaitsForTheReconcileInFlightAndDoesNotCountItAsAFailure()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var controller = new Controller<string>(
            "test",
            async (_, ct) =>
            {
                entered.SetResult();
                await Task.Delay(Timeout.Infinite, ct);
                return ReconcileResult.Done;
            },
            null,
            TimeProvider.System,
            new RuntimeMetrics(registry));
        using var stop = new CancellationTokenSource();
        var run = controller.RunAsync(stop.Token);
        controller.Queue.Add("k");
        await entered.Task.WaitAsync(Generous);

        await stop.CancelAsync();
        await run.WaitAsync(Generous);
        Assert.Equal(0, Total("error"));
        Assert.True(controller.Queue.IsShuttingDown);
    }

    private Controller<string> NewController(Func<string, CancellationToken, Task<ReconcileResult>> reconcile) =>
        new("test", reconcile, null, time, new RuntimeMetrics(registry));

    private double Total(string result) => registry.Counter("controller_runtime_reconcile_total", "", "controller", "result").Value("test", result);
}
