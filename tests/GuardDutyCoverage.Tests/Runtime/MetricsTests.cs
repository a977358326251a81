using GuardDutyCoverage.Runtime;

namespace GuardDutyCoverage.Tests.Runtime;

public sealed class MetricsTests
{
    [Fact]
    public void RendersThePrometheusTextFormat()
    {
        var registry = new MetricsRegistry();
        var reconciles = registry.Counter("controller_runtime_reconcile_total", "Total number of reconciliations per controller", "controller", "result");
        reconciles.Inc("gdc", "success");
        reconciles.Inc("gdc", "success");
        reconciles.Inc("gdc", "error");
        registry.Gauge("workqueue_depth", "Current depth of workqueue", "name").Set(3, "gdc");
        var latency = registry.Histogram("request_seconds", "Latency.\nSecond line \\ here", [0.1, 1], "path");
        latency.Observe(0.05, "/a\"b");
        latency.Observe(0.1, "/a\"b");
        latency.Observe(5, "/a\"b");
        registry.Counter("plain_total", "No labels").Add(2.5);

        const string expected = """
            # HELP controller_runtime_reconcile_total Total number of reconciliations per controller
            # TYPE controller_runtime_reconcile_total counter
            controller_runtime_reconcile_total{controller="gdc",result="error"} 1
            controller_runtime_reconcile_total{controller="gdc",result="success"} 2
            # HELP plain_total No labels
            # TYPE plain_total counter
            plain_total 2.5
            # HELP request_seconds Latency.\nSecond line \\ here
            # TYPE request_seconds histogram
            request_seconds_bucket{path="/a\"b",le="0.1"} 2
            request_seconds_bucket{path="/a\"b",le="1"} 2
            request_seconds_bucket{path="/a\"b",le="+Inf"} 3
            request_seconds_sum{path="/a\"b"} 5.15
            request_seconds_count{path="/a\"b"} 3
            # HELP workqueue_depth Current depth of workqueue
            # TYPE workqueue_depth gauge
            workqueue_depth{name="gdc"} 3

            """;
        Assert.Equal(expected.ReplaceLineEndings("\n"), registry.Render());
    }

    [Fact]
    public void BucketBoundsAreFormattedLikeGo()
    {
        var registry = new MetricsRegistry();
        var histogram = registry.Histogram("q_seconds", "q", Histogram.ExponentialBuckets(10e-9, 10, 12));
        histogram.Observe(0.25);
        var text = registry.Render();
        Assert.Contains("q_seconds_bucket{le=\"1e-08\"} 0\n", text);
        Assert.Contains("q_seconds_bucket{le=\"0.1\"} 0\n", text);
        Assert.Contains("q_seconds_bucket{le=\"1\"} 1\n", text);
        Assert.Contains("q_seconds_bucket{le=\"1000\"} 1\n", text);
    }

    [Fact]
    public void RegistrationIsIdempotentAndConflictsAreErrors()
    {
        var registry = new MetricsRegistry();
        var first = registry.Counter("a_total", "a", "x");
        Assert.Same(first, registry.Counter("a_total", "a", "x"));
        Assert.Throws<InvalidOperationException>(() => registry.Gauge("a_total", "a", "x"));
        Assert.Throws<InvalidOperationException>(() => registry.Counter("a_total", "a", "y"));
        Assert.Throws<ArgumentException>(() => registry.Counter("bad-name", "a"));
        Assert.Throws<ArgumentException>(() => registry.Counter("b_total", "a", "le"));
        Assert.Throws<ArgumentException>(() => first.Inc("one", "two"));
        Assert.Throws<ArgumentOutOfRangeException>(() => first.Add(-1, "v"));
    }

    [Fact]
    public void RuntimeMetricsUseControllerRuntimeNames()
    {
        var registry = new MetricsRegistry();
        _ = new RuntimeMetrics(registry);
        _ = new RuntimeMetrics(registry);
        var text = registry.Render();
        foreach (var name in new[] { "controller_runtime_reconcile_total", "controller_runtime_reconcile_errors_total", "controller_runtime_reconcile_time_seconds", "workqueue_depth", "workqueue_adds_total", "workqueue_retries_total", "workqueue_queue_duration_seconds", "leader_election_master_status" })
        {
            Assert.Contains($"# TYPE {name} ", text);
        }
    }

    [Fact]
    public async Task ConcurrentIncrementsAreNotLost()
    {
        var counter = new MetricsRegistry().Counter("c_total", "c", "k");
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                counter.Inc("v");
            }
        })));
        Assert.Equal(80_000, counter.Value("v"));
    }
}
