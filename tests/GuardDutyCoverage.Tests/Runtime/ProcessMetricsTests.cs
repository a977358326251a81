using System.Globalization;
using GuardDutyCoverage.Runtime;

namespace GuardDutyCoverage.Tests.Runtime;

public sealed class ProcessMetricsTests : IDisposable
{
    private readonly string proc = Directory.CreateTempSubdirectory("gdc-proc-").FullName;

    public void Dispose() => Directory.Delete(proc, recursive: true);

    [Fact]
    public void ReadsProcLikeClientGolangsProcessCollector()
    {
        Directory.CreateDirectory(Path.Combine(proc, "self", "fd"));
        foreach (var fd in new[] { "0", "1", "2", "7" })
        {
            File.WriteAllText(Path.Combine(proc, "self", "fd", fd), "");
        }

        File.WriteAllText(Path.Combine(proc, "self", "status"), "Name:\tguardduty-cove\nVmSize:\t  262144 kB\nVmHWM:\t   99999 kB\nVmRSS:\t   51200 kB\n");
        // A command name with a space and a ")" in it: fields are counted after the last ")".
        File.WriteAllText(Path.Combine(proc, "self", "stat"), "4242 (guard (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 123400 268435456 12800\n");
        File.WriteAllText(Path.Combine(proc, "stat"), "cpu  1 2 3 4\nbtime 1764979200\nprocesses 99\n");
        File.WriteAllText(Path.Combine(proc, "self", "limits"), "Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1048576              1048576              files     \n");
        var registry = new MetricsRegistry();
        _ = new ProcessMetrics(registry, proc);

        var text = registry.Render();

        Assert.Contains("process_resident_memory_bytes 52428800\n", text);
        Assert.Contains("process_virtual_memory_bytes 268435456\n", text);
        Assert.Contains("process_cpu_seconds_total 3\n", text);
        Assert.Contains("process_start_time_seconds 1764980434\n", text);
        Assert.Contains("process_open_fds 4\n", text);
        Assert.Contains("process_max_fds 1048576\n", text);
        Assert.Contains("# TYPE process_cpu_seconds_total counter\n", text);
    }

    [Fact]
    public void MissingOrMalformedProcFilesLeaveTheirFiguresOutAndKeepTheRest()
    {
        Directory.CreateDirectory(Path.Combine(proc, "self"));
        File.WriteAllText(Path.Combine(proc, "self", "status"), "VmRSS:\t garbage kB\nVmSize:\t 2048 kB\n");
        File.WriteAllText(Path.Combine(proc, "self", "stat"), "no parenthesis here");
        var registry = new MetricsRegistry();
        _ = new ProcessMetrics(registry, proc);

        var text = registry.Render();

        Assert.DoesNotContain("\nprocess_resident_memory_bytes ", text);
        Assert.Contains("process_virtual_memory_bytes 2097152\n", text);
        Assert.DoesNotContain("\nprocess_open_fds ", text);
        Assert.DoesNotContain("\nprocess_start_time_seconds ", text);
        Assert.Matches("dotnet_gc_committed_bytes [1-9][0-9]*\n", text);
    }

    [Fact]
    public void GcFiguresFollowTheRuntimeAndCountersNeverGoDown()
    {
        var registry = new MetricsRegistry();
        var metrics = new ProcessMetrics(registry, proc);
        metrics.Collect();
        var before = Sample(registry.Render(), "dotnet_gc_collections_total{generation=\"2\"}");
        var allocatedBefore = Sample(registry.Render(), "dotnet_gc_allocated_bytes_total");

        GC.Collect(2, GCCollectionMode.Forced, blocking: true);
        _ = new byte[1 << 20];
        var text = registry.Render();

        Assert.True(Sample(text, "dotnet_gc_collections_total{generation=\"2\"}") >= before + 1);
        Assert.True(Sample(text, "dotnet_gc_allocated_bytes_total") > allocatedBefore);
        Assert.True(Sample(text, "dotnet_gc_heap_size_bytes") > 0);
        Assert.True(Sample(text, "dotnet_gc_memory_limit_bytes") > 0);
        Assert.Contains("dotnet_gc_collections_total{generation=\"0\"}", text);

        var counter = registry.Counter("source_total", "a total read from elsewhere");
        counter.SetTotal(10);
        counter.SetTotal(7);
        Assert.Equal(10, counter.Value());
        Assert.Throws<ArgumentOutOfRangeException>(() => counter.SetTotal(double.NaN));
    }

    [Fact]
    public void OnLinuxItReadsThisProcess()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var registry = new MetricsRegistry();
        _ = new ProcessMetrics(registry);

        var text = registry.Render();

        Assert.True(Sample(text, "process_resident_memory_bytes") > 1 << 20);
        Assert.True(Sample(text, "process_open_fds") >= 3);
        var started = DateTimeOffset.FromUnixTimeSeconds((long)Sample(text, "process_start_time_seconds"));
        Assert.InRange(started, System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime().AddSeconds(-2), DateTimeOffset.UtcNow);
    }

    private static double Sample(string text, string series)
    {
        var line = text.Split('\n').Single(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }
}
