using System.Globalization;

namespace GuardDutyCoverage.Runtime;

/// <summary>
/// The process's own figures, read at scrape time: client_golang's process collector (the same names, read from
/// /proc the same way, so dashboards and the kubelet's view agree) and the .NET GC's heap, committed memory and
/// collections. They answer "is this the heap, or the process around it?" when the resident set grows.
/// </summary>
public sealed class ProcessMetrics
{
    /// <summary>
    /// Clock ticks per second of /proc's times. Linux reports them in USER_HZ, which is 100 on every architecture the
    /// operator is built for; prometheus/procfs assumes the same.
    /// </summary>
    private const double UserHz = 100;

    private readonly string procRoot;
    private readonly Gauge residentMemory;
    private readonly Gauge virtualMemory;
    private readonly Gauge startTime;
    private readonly Counter cpuSeconds;
    private readonly Gauge openFds;
    private readonly Gauge maxFds;
    private readonly Gauge heapSize;
    private readonly Gauge committed;
    private readonly Gauge memoryLimit;
    private readonly Counter allocated;
    private readonly Counter collections;

    /// <param name="registry">Where the families are registered; they are collected on every render.</param>
    /// <param name="procRoot">The proc file system (tests pass a directory of their own).</param>
    public ProcessMetrics(MetricsRegistry registry, string procRoot = "/proc")
    {
        this.procRoot = procRoot;
        residentMemory = registry.Gauge("process_resident_memory_bytes", "Resident memory size in bytes.");
        virtualMemory = registry.Gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.");
        startTime = registry.Gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.");
        cpuSeconds = registry.Counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.");
        openFds = registry.Gauge("process_open_fds", "Number of open file descriptors.");
        maxFds = registry.Gauge("process_max_fds", "Maximum number of open file descriptors.");
        heapSize = registry.Gauge("dotnet_gc_heap_size_bytes", "Bytes on the managed heap after the last garbage collection (live objects and fragmentation).");
        committed = registry.Gauge("dotnet_gc_committed_bytes", "Bytes of memory the garbage collector has committed for the managed heap.");
        memoryLimit = registry.Gauge("dotnet_gc_memory_limit_bytes", "Memory the garbage collector may use: the heap hard limit (75% of a container's memory limit), else the machine's memory.");
        allocated = registry.Counter("dotnet_gc_allocated_bytes_total", "Bytes allocated on the managed heap since the process started.");
        collections = registry.Counter("dotnet_gc_collections_total", "Garbage collections since the process started, by generation.", "generation");
        registry.OnCollect(Collect);
    }

    /// <summary>Reads every figure now. Figures /proc does not have (another OS, a file missing) are left as they were.</summary>
    public void Collect()
    {
        var status = ReadFile("self/status");
        if (StatusKiB(status, "VmRSS:") is { } rss)
        {
            residentMemory.Set(rss * 1024);
        }

        if (StatusKiB(status, "VmSize:") is { } size)
        {
            virtualMemory.Set(size * 1024);
        }

        if (ReadStat() is { } stat)
        {
            cpuSeconds.SetTotal((stat.UserTicks + stat.SystemTicks) / UserHz);
            if (ReadBootTime() is { } bootTime)
            {
                startTime.Set(bootTime + (stat.StartTicks / UserHz));
            }
        }

        if (CountOpenFds() is { } fds)
        {
            openFds.Set(fds);
        }

        if (ReadMaxFds() is { } limit)
        {
            maxFds.Set(limit);
        }

        var gc = GC.GetGCMemoryInfo();
        heapSize.Set(gc.HeapSizeBytes);
        committed.Set(gc.TotalCommittedBytes);
        memoryLimit.Set(gc.TotalAvailableMemoryBytes);
        allocated.SetTotal(GC.GetTotalAllocatedBytes(precise: false));
        for (var generation = 0; generation <= GC.MaxGeneration; generation++)
        {
            collections.SetTotal(GC.CollectionCount(generation), generation.ToString(CultureInfo.InvariantCulture));
        }
    }

    private string? ReadFile(string relative)
    {
        try
        {
            return File.ReadAllText(Path.Combine(procRoot, relative));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The rest of the first line of <paramref name="text"/> that starts with <paramref name="prefix"/>; null: none.</summary>
    private static string? After(string? text, string prefix)
    {
        foreach (var line in (text ?? "").Split('\n'))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return line[prefix.Length..];
            }
        }

        return null;
    }

    /// <summary>A "Name:   1234 kB" line of /proc/self/status (read once per collection, for every field).</summary>
    private static double? StatusKiB(string? status, string field) =>
        After(status, field)?.Trim().Split(' ')[0] is { } value &&
        double.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var kib)
            ? kib
            : null;

    /// <summary>
    /// utime, stime and starttime of /proc/self/stat (fields 14, 15 and 22). The command name (field 2) is in
    /// parentheses and may itself hold spaces and parentheses, so the fields are counted after its last ")".
    /// </summary>
    private (double UserTicks, double SystemTicks, double StartTicks)? ReadStat()
    {
        var text = ReadFile("self/stat");
        var end = text?.LastIndexOf(')') ?? -1;
        if (text is null || end < 0)
        {
            return null;
        }

        // After ")": field 3 (state) is index 0, so field N is index N - 3.
        var fields = text[(end + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 19 &&
               double.TryParse(fields[14 - 3], NumberStyles.None, CultureInfo.InvariantCulture, out var user) &&
               double.TryParse(fields[15 - 3], NumberStyles.None, CultureInfo.InvariantCulture, out var system) &&
               double.TryParse(fields[22 - 3], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            ? (user, system, start)
            : null;
    }

    /// <summary>The "btime" line of /proc/stat: the boot time in seconds since the epoch.</summary>
    private double? ReadBootTime() =>
        After(ReadFile("stat"), "btime ")?.Trim() is { } text &&
        double.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? seconds
            : null;

    private int? CountOpenFds()
    {
        try
        {
            return Directory.EnumerateFileSystemEntries(Path.Combine(procRoot, "self/fd")).Count();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The soft limit of "Max open files" in /proc/self/limits.</summary>
    private double? ReadMaxFds() =>
        After(ReadFile("self/limits"), "Max open files")?.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() is { } soft &&
        double.TryParse(soft, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;
}
