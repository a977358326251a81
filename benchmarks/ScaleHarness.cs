using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using KubeSandbox;
using GuardDutyCoverage.Sandbox.Aws;
using GuardDutyCoverage.Tests;
using GuardDutyCoverage.Tests.Aws;

namespace GuardDutyCoverage.Benchmarks;

/// <summary>What one scale run measured (one row of the table per pod count).</summary>
public sealed record ScaleResult
{
    public required int Pods { get; init; }

    public required int Coverages { get; init; }

    public double StartToMetricsMs { get; init; }

    public double StartToAllReadyMs { get; init; }

    public double RssIdleMiB { get; init; }

    public double RssLoadedMiB { get; init; }

    public double RssColdMiB { get; init; }

    public double RssIdleTrimmedMiB { get; init; }

    public double RssLoadedTrimmedMiB { get; init; }

    public double RssColdTrimmedMiB { get; init; }

    public double PeakColdMiB { get; init; }

    public double PodsArriveToAllReadyMs { get; init; }

    public double ColdStartToReconciledMs { get; init; }

    public string LoadReconcile { get; init; } = "-";

    public string NoProbeReconcile { get; init; } = "-";

    public string ProbeReconcile { get; init; } = "-";

    public string RequestsPerReconcile { get; init; } = "-";

    public string WritesPerNoOpReconcile { get; init; } = "-";

    public string QuietMinute { get; init; } = "-";

    public double DetectionMs { get; init; }
}

/// <summary>
/// The scale harness (issue 11): the operator binary (NativeAOT by default) as a separate process against the sandbox
/// API server in this process, with N agent pods owned by the DaemonSet, 200 ValidatingWebhookConfigurations that do
/// not match the agent namespace, and 20 GuardDutyCoverages whose GuardDuty/EKS answers come from the local AWS
/// endpoints. Memory comes from /proc (VmRSS, VmHWM), reconcile durations from the operator's own /metrics
/// histograms (deltas between scrapes), requests and writes from the sandbox's request log. Prints numbers; never
/// asserts them.
/// </summary>
public sealed class ScaleHarness
{
    public const string AgentNamespace = "amazon-guardduty";
    public const string DaemonSetName = "aws-guardduty-agent";
    public const string Image = "602401143452.dkr.ecr.us-east-1.amazonaws.com/aws-guardduty-agent:v1.17.1";
    public const string AddonVersion = "v1.17.1-eksbuild.2";

    private readonly string _operatorBinary;
    private readonly int _coverages;
    private readonly int _webhooks;
    private readonly TextWriter _log;

    private readonly IReadOnlyList<KeyValuePair<string, string>> _operatorEnvironment;

    public ScaleHarness(string operatorBinary, int coverages = 20, int webhooks = 200, TextWriter? log = null, IReadOnlyList<KeyValuePair<string, string>>? operatorEnvironment = null)
    {
        _operatorEnvironment = operatorEnvironment ?? [];
        _operatorBinary = operatorBinary;
        _coverages = coverages;
        _webhooks = webhooks;
        _log = log ?? Console.Out;
    }

    public async Task<ScaleResult> RunAsync(int pods, CancellationToken cancellationToken)
    {
        Say($"scale run: {pods:N0} agent pods, {_webhooks} webhook configurations, {_coverages} GuardDutyCoverages, operator {_operatorBinary}");
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { KubernetesVersion = GuardDutyCoverage.Sandbox.Scenarios.EksScenario.KubernetesVersion });
        await using var aws = await LocalAws.StartAsync();
        var directory = Directory.CreateTempSubdirectory("gdc-scale-").FullName;
        try
        {
            var kubeconfig = Path.Combine(directory, "kubeconfig");
            sandbox.WriteKubeconfig(kubeconfig);
            SeedCluster(sandbox, aws);

            // 1. Start into a small cluster (3 pods): time to metrics and to all CRs Ready, then RSS idle.
            var small = 3;
            UpsertDaemonSet(sandbox, small);
            for (var i = 0; i < small; i++)
            {
                sandbox.Cluster.Upsert(Pod(i));
            }

            await using var first = await OperatorProcess.StartAsync(_operatorBinary, kubeconfig, [.. aws.Server.Environment(LocalAws.Region), .. _operatorEnvironment], directory, cancellationToken);
            var startToMetrics = await first.WaitForMetricsAsync(cancellationToken);
            await WaitAsync(() => AllStatusesMention(sandbox, $"{small}/{small} agent pods available") && AllReady(sandbox), "all CRs Ready in the small cluster", first, cancellationToken);
            var startToReady = first.SinceStart;
            await SettleAsync(first, cancellationToken);
            var rssIdle = first.RssMiB();
            Say($"  idle: start → metrics {startToMetrics:F0} ms, → {_coverages} CRs Ready {startToReady:F0} ms, RSS {rssIdle:F1} MiB");
            var rssIdleTrimmed = await AfterTrimAsync(first, 0, cancellationToken);

            // 2. N pods arrive while running (as a DaemonSet's roll-out on a growing cluster would deliver them).
            var before = await first.ScrapeAsync(cancellationToken);
            var trimsBeforeLoad = before.Sum("dotnet_gc_trims_total");
            sandbox.ClearRequests();
            var arrive = Stopwatch.StartNew();
            for (var i = small; i < pods; i++)
            {
                sandbox.Cluster.Upsert(Pod(i));
            }

            UpsertDaemonSet(sandbox, pods);

            // The sandbox's share of the time (storing the pods and queueing their watch events, in this process on
            // the same 2 cores), so the operator's share can be read off.
            var stored = arrive.Elapsed.TotalMilliseconds;
            await WaitAsync(() => AllStatusesMention(sandbox, $"{pods}/{pods} agent pods available") && AllReady(sandbox), "all CRs Ready with every pod", first, cancellationToken);
            var arriveToReady = arrive.Elapsed.TotalMilliseconds;
            await SettleAsync(first, cancellationToken);
            var loaded = await first.ScrapeAsync(cancellationToken);
            var loadReconcile = ReconcileSummary(before, loaded);
            var rssLoaded = first.RssMiB();
            Say($"  loaded: pods arrived → all Ready {arriveToReady:F0} ms (the sandbox stored them in the first {stored:F0} ms), RSS {rssLoaded:F1} MiB, reconciles {loadReconcile}");
            var rssLoadedTrimmed = await AfterTrimAsync(first, trimsBeforeLoad, cancellationToken);

            // 3. A quiet period: nothing changes, nothing should be sent. The first AWS poll after the pods arrived
            //    must be in first: its answer is a change, and a fast operator is Ready before it lands.
            await WaitAsync(() => !AnyStatusMentions(sandbox, "not polled yet"), "every CR's first AWS poll in its status", first, cancellationToken);
            await SettleAsync(first, cancellationToken);
            sandbox.ClearRequests();
            var quietFrom = await first.ScrapeAsync(cancellationToken);
            await Task.Delay(TimeSpan.FromSeconds(10), cancellationToken);
            var quietTo = await first.ScrapeAsync(cancellationToken);
            var quiet = $"{OperatorRequests(sandbox).Count} requests, {Writes(OperatorRequests(sandbox))} writes, {Reconciles(quietFrom, quietTo):F0} reconciles in 10 s";
            Say($"  quiet: {quiet}");

            // 4. No-op reconciles without probe refresh: a pod's annotation changes (enqueues every CR of the namespace;
            //    nothing a probe reads changed, nothing the status shows changed).
            var noProbe = await TriggerAsync(first, sandbox, rounds: 10, i =>
            {
                var pod = Pod(i % pods);
                ((JsonObject)pod["metadata"]!)["annotations"] = new JsonObject { ["bench/touch"] = i.ToString(CultureInfo.InvariantCulture) };
                sandbox.Cluster.Upsert(pod);
            }, cancellationToken);
            Say($"  no-op reconciles (no probe refresh): {noProbe.Summary}");

            // 5. Reconciles with probe refresh: an unrelated webhook configuration changes (a probe input: dry-runs
            //    reach webhooks), so every CR re-runs its SubjectAccessReviews and dry-runs.
            var withProbe = await TriggerAsync(first, sandbox, rounds: 5, i =>
            {
                var webhook = Webhook(i % _webhooks);
                ((JsonObject)webhook["metadata"]!)["labels"] = new JsonObject { ["bench/touch"] = i.ToString(CultureInfo.InvariantCulture) };
                sandbox.Cluster.Upsert(webhook);
            }, cancellationToken);
            Say($"  reconciles with probe refresh: {withProbe.Summary}");

            // 6. Detection: the add-on manager's binding is deleted → every CR's status names it.
            var detect = Stopwatch.StartNew();
            sandbox.Cluster.Delete("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", null, "eks:addon-cluster-admin");
            // The finding's own text: other findings (e.g. warnings about the webhooks) may be there all along.
            const string missingBinding = "ClusterRoleBinding eks:addon-cluster-admin does not exist";
            await WaitAsync(() => AllStatusesMention(sandbox, missingBinding), "every CR names the deleted binding", first, cancellationToken);
            var detection = detect.Elapsed.TotalMilliseconds;
            Say($"  binding deleted → all {_coverages} CRs show it: {detection:F0} ms");
            sandbox.Cluster.Upsert(AddonManagerBinding());
            await WaitAsync(() => !AnyStatusMentions(sandbox, missingBinding), "every CR without the binding's finding again", first, cancellationToken);
            await first.StopAsync();

            // 7. Cold start into the populated cluster (a restarted pod on a big cluster). First the sandbox's own
            //    cost of that LIST: the agent pods, paged as the operator's informer pages them, read to the end.
            var listServed = await TimeListAsync(sandbox, cancellationToken);
            Say($"  the sandbox serves the {pods:N0}-pod LIST (pages of 500, read to the end) in {listServed:F0} ms");
            await using var second = await OperatorProcess.StartAsync(_operatorBinary, kubeconfig, [.. aws.Server.Environment(LocalAws.Region), .. _operatorEnvironment], directory, cancellationToken);
            var coldToMetrics = await second.WaitForMetricsAsync(cancellationToken);
            await WaitAsync(async () => Reconciles(null, await second.ScrapeAsync(cancellationToken)) >= _coverages, "every CR reconciled after the cold start", second, cancellationToken);
            var coldToReconciled = second.SinceStart;
            await SettleAsync(second, cancellationToken);
            var rssCold = second.RssMiB();
            var peakCold = second.PeakMiB();
            Say($"  cold start: → metrics {coldToMetrics:F0} ms, → caches synced {second.CachesSyncedMs:F0} ms, → {_coverages} CRs reconciled {coldToReconciled:F0} ms, RSS {rssCold:F1} MiB (peak {peakCold:F1} MiB)");
            var rssColdTrimmed = await AfterTrimAsync(second, 0, cancellationToken);
            await second.StopAsync();

            return new ScaleResult
            {
                Pods = pods,
                Coverages = _coverages,
                StartToMetricsMs = startToMetrics,
                StartToAllReadyMs = startToReady,
                RssIdleMiB = rssIdle,
                RssLoadedMiB = rssLoaded,
                RssColdMiB = rssCold,
                RssIdleTrimmedMiB = rssIdleTrimmed,
                RssLoadedTrimmedMiB = rssLoadedTrimmed,
                RssColdTrimmedMiB = rssColdTrimmed,
                PeakColdMiB = peakCold,
                PodsArriveToAllReadyMs = arriveToReady,
                ColdStartToReconciledMs = coldToReconciled,
                LoadReconcile = loadReconcile,
                NoProbeReconcile = noProbe.Durations,
                ProbeReconcile = withProbe.Durations,
                RequestsPerReconcile = $"{noProbe.RequestsPerReconcile:F2} without / {withProbe.RequestsPerReconcile:F2} with probe refresh",
                WritesPerNoOpReconcile = $"{noProbe.WritesPerReconcile:F2}",
                QuietMinute = quiet,
                DetectionMs = detection,
            };
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>
    /// Prints where the settled operator's memory is, then its RSS once it has returned the GC's free memory: it trims
    /// when quiet (<c>--memory-trim-period</c>, 10 s), so this waits for <c>dotnet_gc_trims_total</c> to pass
    /// <paramref name="trimsBefore"/>, at most 75 s (it trims at most once a minute), looking every 2 s (no trim means
    /// the slack was too small to bother). Returns the RSS after the trim.
    /// </summary>
    private async Task<double> AfterTrimAsync(OperatorProcess op, double trimsBefore, CancellationToken cancellationToken)
    {
        Say($"    {await op.MemoryAsync(cancellationToken)}");
        var waited = Stopwatch.StartNew();
        while ((await op.ScrapeAsync(cancellationToken)).Sum("dotnet_gc_trims_total") <= trimsBefore)
        {
            // 75 s: the operator trims at most once a minute, looking every 10 s.
            if (waited.Elapsed > TimeSpan.FromSeconds(75))
            {
                Say("    no GC trim in 75 s (the slack stayed under the operator's threshold)");
                break;
            }

            // Not faster: each scrape renders /metrics, and the trimmer waits for a quiet period (little allocation).
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        }

        var rss = op.RssMiB();
        Say($"    after the GC trim: RSS {rss:F1} MiB; {await op.MemoryAsync(cancellationToken)}");
        return rss;
    }

    /// <summary>Prints the issue's table for one or more runs (a column per pod count, so growth is visible).</summary>
    public static void PrintTable(IReadOnlyList<ScaleResult> results, TextWriter output)
    {
        var rows = new (string Figure, Func<ScaleResult, string> Value)[]
        {
            ("start → serving metrics (small cluster)", r => Ms(r.StartToMetricsMs)),
            ($"start → all CRs Ready (small cluster)", r => Ms(r.StartToAllReadyMs)),
            ("RSS idle (small cluster): settled / after the GC trim", r => $"{MiB(r.RssIdleMiB)} / {MiB(r.RssIdleTrimmedMiB)}"),
            ("RSS after the N pods arrive while running: settled / after the GC trim", r => $"{MiB(r.RssLoadedMiB)} / {MiB(r.RssLoadedTrimmedMiB)}"),
            ("RSS after a cold start into N pods: settled / after the GC trim (peak)", r => $"{MiB(r.RssColdMiB)} / {MiB(r.RssColdTrimmedMiB)} ({MiB(r.PeakColdMiB)})"),
            ("N pods arrive → all CRs Ready", r => Ms(r.PodsArriveToAllReadyMs)),
            ("cold start → all CRs reconciled", r => Ms(r.ColdStartToReconciledMs)),
            ("reconcile while the pods arrive (count, p50/p99)", r => r.LoadReconcile),
            ("reconcile without probe refresh (p50/p99)", r => r.NoProbeReconcile),
            ("reconcile applying a probe refresh (p50/p99; the probes ran in the background)", r => r.ProbeReconcile),
            ("API requests per reconcile", r => r.RequestsPerReconcile),
            ("writes per no-op reconcile", r => r.WritesPerNoOpReconcile),
            ("quiet period", r => r.QuietMinute),
            ("binding deleted → all CRs show it", r => Ms(r.DetectionMs)),
        };
        var header = "| figure | " + string.Join(" | ", results.Select(r => $"{r.Pods:N0} pods, {r.Coverages} CRs")) + " |";
        output.WriteLine(header);
        output.WriteLine("| --- |" + string.Concat(results.Select(_ => " --- |")));
        foreach (var (figure, value) in rows)
        {
            output.WriteLine($"| {figure} | {string.Join(" | ", results.Select(value))} |");
        }
    }

    /// <summary>
    /// The issue's figures as a line per size (pods × CRs), so the growth from 5,000 to 50,000 pods reads down a
    /// column: it should be linear in pods and flat in CRs.
    /// </summary>
    public static void PrintLines(IReadOnlyList<ScaleResult> results, TextWriter output)
    {
        output.WriteLine("| pods | CRs | RSS idle (trimmed) | RSS loaded (trimmed) | RSS cold (trimmed, peak) | pods arrive → all Ready | cold start → all reconciled | reconcile without probe refresh | reconcile applying a probe refresh | API requests per reconcile | writes per no-op reconcile | binding deleted → all CRs show it |");
        output.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | ---: | ---: |");
        foreach (var r in results)
        {
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {r.Pods:N0} | {r.Coverages} | {MiB(r.RssIdleMiB)} ({MiB(r.RssIdleTrimmedMiB)}) | {MiB(r.RssLoadedMiB)} ({MiB(r.RssLoadedTrimmedMiB)}) | {MiB(r.RssColdMiB)} ({MiB(r.RssColdTrimmedMiB)}, {MiB(r.PeakColdMiB)}) | {Ms(r.PodsArriveToAllReadyMs)} | {Ms(r.ColdStartToReconciledMs)} | {r.NoProbeReconcile} | {r.ProbeReconcile} | {r.RequestsPerReconcile} | {r.WritesPerNoOpReconcile} | {Ms(r.DetectionMs)} |"));
        }
    }

    private static string Ms(double ms) => string.Create(CultureInfo.InvariantCulture, $"{ms:F0} ms");

    private static string MiB(double mib) => string.Create(CultureInfo.InvariantCulture, $"{mib:F1} MiB");

    private sealed record TriggerResult(string Durations, double RequestsPerReconcile, double WritesPerReconcile, string Summary);

    /// <summary>Applies <paramref name="change"/> <paramref name="rounds"/> times, each after the previous burst settled.</summary>
    private async Task<TriggerResult> TriggerAsync(OperatorProcess op, SandboxServer sandbox, int rounds, Action<int> change, CancellationToken cancellationToken)
    {
        var from = await op.ScrapeAsync(cancellationToken);
        var statusesBefore = Coverages(sandbox).ToDictionary(c => (string)c["metadata"]!["name"]!, c => c["status"]?.ToJsonString() ?? "", StringComparer.Ordinal);
        sandbox.ClearRequests();
        var last = Reconciles(null, from);
        for (var i = 0; i < rounds; i++)
        {
            change(i);
            var expected = last + _coverages;
            await WaitAsync(async () => Reconciles(null, await op.ScrapeAsync(cancellationToken)) >= expected, "the burst's reconciles", op, cancellationToken);
            last = Reconciles(null, await op.ScrapeAsync(cancellationToken));
        }

        await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        var to = await op.ScrapeAsync(cancellationToken);
        var reconciles = Reconciles(from, to);
        var requests = OperatorRequests(sandbox);
        var writes = Writes(requests);
        var durations = ReconcileSummary(from, to);
        var perReconcile = reconciles == 0 ? 0 : requests.Count / reconciles;
        var writesPer = reconciles == 0 ? 0 : writes / reconciles;
        if (writes > 0)
        {
            // Writes in a burst that should change nothing: show what changed in one status, so the cause is visible.
            foreach (var coverage in Coverages(sandbox))
            {
                var name = (string)coverage["metadata"]!["name"]!;
                var now = coverage["status"]?.ToJsonString() ?? "";
                if (statusesBefore.TryGetValue(name, out var was) && was != now)
                {
                    Say($"    status of {name} changed: {StatusDiff(was, now)}");
                    break;
                }
            }
        }
        return new TriggerResult(
            durations,
            perReconcile,
            writesPer,
            string.Create(CultureInfo.InvariantCulture, $"{reconciles:F0} reconciles, {durations}, {requests.Count} requests ({writes} writes) = {perReconcile:F2} requests/reconcile, {writesPer:F2} writes/reconcile; by verb: {string.Join(", ", requests.GroupBy(r => r.Verb + " " + r.Resource + (r.Subresource is null ? "" : "/" + r.Subresource)).Select(g => $"{g.Key} {g.Count()}"))}"));
    }

    /// <summary>
    /// p50/p99 of the reconciles between two scrapes: from the operator's fine-grained reconcile histogram when it
    /// has one (by probe refresh), else from controller-runtime's (whose first bucket is 5 ms).
    /// </summary>
    private static string ReconcileSummary(Metrics from, Metrics to)
    {
        var parts = new List<string>();
        var fine = to.Histogram("guardduty_coverage_reconcile_duration_seconds", null).Count > 0;
        if (fine)
        {
            foreach (var probes in new[] { "reused", "refreshed" })
            {
                var delta = to.Histogram("guardduty_coverage_reconcile_duration_seconds", ("probes", probes)).Minus(from.Histogram("guardduty_coverage_reconcile_duration_seconds", ("probes", probes)));
                if (delta.Count > 0)
                {
                    parts.Add(string.Create(CultureInfo.InvariantCulture, $"probes {probes}: {delta.Count:F0}, p50 {delta.Quantile(0.5) * 1000:F2} ms, p99 {delta.Quantile(0.99) * 1000:F2} ms"));
                }
            }
        }
        else
        {
            var delta = to.Histogram("controller_runtime_reconcile_time_seconds", null).Minus(from.Histogram("controller_runtime_reconcile_time_seconds", null));
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{delta.Count:F0}, p50 ≤ {delta.UpperBound(0.5) * 1000:F0} ms, p99 ≤ {delta.UpperBound(0.99) * 1000:F0} ms"));
        }

        return parts.Count == 0 ? "none" : string.Join("; ", parts);
    }

    private static double Reconciles(Metrics? from, Metrics to) =>
        to.Sum("controller_runtime_reconcile_total") - (from?.Sum("controller_runtime_reconcile_total") ?? 0);

    private static List<SandboxRequest> OperatorRequests(SandboxServer sandbox) =>
        [.. sandbox.Requests.Where(r => r.Verb != "watch")]; // the harness seeds through SandboxCluster, not HTTP: all are the operator's

    /// <summary>Requests that change something (dry-runs and access reviews write nothing).</summary>
    private static int Writes(IEnumerable<SandboxRequest> requests) =>
        requests.Count(r => r.Method is "POST" or "PUT" or "PATCH" or "DELETE"
            && !r.Query.Contains("dryRun", StringComparison.Ordinal)
            && r.Resource is not ("subjectaccessreviews" or "selfsubjectaccessreviews"));

    private async Task SettleAsync(OperatorProcess op, CancellationToken cancellationToken)
    {
        // Let the work queue drain and the GC find its steady state before reading RSS.
        var last = -1.0;
        for (var i = 0; i < 40; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            var now = Reconciles(null, await op.ScrapeAsync(cancellationToken));
            if (now == last)
            {
                break;
            }

            last = now;
        }

        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
    }

    private static async Task WaitAsync(Func<bool> condition, string what, OperatorProcess op, CancellationToken cancellationToken) =>
        await WaitAsync(() => Task.FromResult(condition()), what, op, cancellationToken);

    private static async Task WaitAsync(Func<Task<bool>> condition, string what, OperatorProcess op, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (op.HasExited)
            {
                throw new InvalidOperationException($"the operator exited ({op.ExitCode}) while waiting for {what}:\n{op.Tail()}");
            }

            if (deadline.Elapsed > TimeSpan.FromMinutes(5))
            {
                throw new TimeoutException($"timed out waiting for {what}:\n{op.Tail()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
        }
    }

    /// <summary>Wall time of a paged LIST of the agent pods (500 per page, like the informer), bodies read in full.</summary>
    private static async Task<double> TimeListAsync(SandboxServer sandbox, CancellationToken cancellationToken)
    {
        using var http = sandbox.CreateHttpClient(sandbox.AdminToken);
        var watch = Stopwatch.StartNew();
        var next = "";
        do
        {
            var query = next.Length == 0 ? "limit=500" : $"limit=500&continue={Uri.EscapeDataString(next)}";
            using var response = await http.GetAsync($"/api/v1/namespaces/{AgentNamespace}/pods?{query}", cancellationToken);
            response.EnsureSuccessStatusCode();
            using var page = await System.Text.Json.JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            next = page.RootElement.GetProperty("metadata").TryGetProperty("continue", out var token) ? token.GetString() ?? "" : "";
        }
        while (next.Length > 0);
        return watch.Elapsed.TotalMilliseconds;
    }

    private IEnumerable<JsonObject> Coverages(SandboxServer sandbox) =>
        sandbox.Cluster.List("coverage.guardduty.io/v1alpha1", "GuardDutyCoverage");

    /// <summary>The top-level status fields (and condition types) whose JSON differs, with both values, shortened.</summary>
    private static string StatusDiff(string before, string after)
    {
        static Dictionary<string, string> Fields(string json)
        {
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            if (json.Length == 0 || JsonNode.Parse(json) is not JsonObject status)
            {
                return fields;
            }

            foreach (var (key, value) in status)
            {
                if (key == "conditions" && value is JsonArray conditions)
                {
                    foreach (var condition in conditions.OfType<JsonObject>())
                    {
                        fields["conditions[" + (string?)condition["type"] + "]"] = condition.ToJsonString();
                    }
                }
                else
                {
                    fields[key] = value?.ToJsonString() ?? "null";
                }
            }

            return fields;
        }

        static string Short(string? text) => text is null ? "(none)" : text.Length > 300 ? text[..300] + "..." : text;
        var was = Fields(before);
        var now = Fields(after);
        return string.Join("; ", was.Keys.Union(now.Keys).Where(k => was.GetValueOrDefault(k) != now.GetValueOrDefault(k))
            .Select(k => $"{k}: {Short(was.GetValueOrDefault(k))} → {Short(now.GetValueOrDefault(k))}"));
    }

    private bool AllStatusesMention(SandboxServer sandbox, string text)
    {
        var all = Coverages(sandbox).ToList();
        return all.Count == _coverages && all.All(c => c["status"]?.ToJsonString().Contains(text, StringComparison.Ordinal) == true);
    }

    private bool AllReady(SandboxServer sandbox) => Coverages(sandbox).All(c => Condition(c, "Ready") == "True");

    private bool AnyStatusMentions(SandboxServer sandbox, string text) =>
        Coverages(sandbox).Any(c => c["status"]?.ToJsonString().Contains(text, StringComparison.Ordinal) == true);

    private static string? Condition(JsonObject coverage, string type) =>
        (coverage["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == type)?["status"]?.GetValue<string>();

    private void SeedCluster(SandboxServer sandbox, LocalAws aws)
    {
        sandbox.Cluster.LoadYaml(File.ReadAllText(RepoPaths.Crd));
        sandbox.Cluster.LoadYaml(File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "scenarios", "demo", "00-cluster.yaml")));
        sandbox.Cluster.Upsert(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Namespace",
            ["metadata"] = new JsonObject { ["name"] = AgentNamespace },
        });
        for (var i = 0; i < _webhooks; i++)
        {
            sandbox.Cluster.Upsert(Webhook(i));
        }

        aws.State.AddAddonInfo(LocalAwsState.AddonInfo("aws-guardduty-agent", "security", (AddonVersion, ["1.31", "1.32", "1.33"])));
        for (var i = 0; i < _coverages; i++)
        {
            var cluster = ClusterName(i);
            aws.State.PutCoverage(LocalAwsState.EksCoverage(LocalAws.DetectorId, LocalAws.AccountId, cluster, "HEALTHY", addonVersion: AddonVersion));
            aws.State.PutCluster(LocalAwsState.Cluster(cluster));
            aws.State.PutAddon(LocalAwsState.GuardDutyAddon(cluster, AddonVersion));
            sandbox.Cluster.Upsert(new JsonObject
            {
                ["apiVersion"] = "coverage.guardduty.io/v1alpha1",
                ["kind"] = "GuardDutyCoverage",
                ["metadata"] = new JsonObject { ["name"] = cluster },
                ["spec"] = new JsonObject
                {
                    ["clusterName"] = cluster,
                    ["region"] = LocalAws.Region,
                    ["accountId"] = LocalAws.AccountId,
                    ["detectorId"] = LocalAws.DetectorId,
                },
            });
        }
    }

    private static string ClusterName(int i) => $"scale-{i:D2}";

    private static JsonObject AddonManagerBinding() => new()
    {
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["kind"] = "ClusterRoleBinding",
        ["metadata"] = new JsonObject { ["name"] = "eks:addon-cluster-admin" },
        ["subjects"] = new JsonArray(new JsonObject { ["kind"] = "User", ["name"] = "eks:addon-manager", ["apiGroup"] = "rbac.authorization.k8s.io" }),
        ["roleRef"] = new JsonObject { ["kind"] = "ClusterRole", ["name"] = "cluster-admin", ["apiGroup"] = "rbac.authorization.k8s.io" },
    };

    /// <summary>A policy-engine-like webhook configuration that matches pods in labelled namespaces only (not the agent's).</summary>
    private static JsonObject Webhook(int i) => JsonNode.Parse($$"""
        {
          "apiVersion": "admissionregistration.k8s.io/v1",
          "kind": "ValidatingWebhookConfiguration",
          "metadata": { "name": "policy-{{i:D3}}" },
          "webhooks": [{
            "name": "validate-{{i:D3}}.policy.example.com",
            "admissionReviewVersions": ["v1"],
            "sideEffects": "None",
            "failurePolicy": "Fail",
            "timeoutSeconds": 10,
            "clientConfig": { "service": { "namespace": "policy-system", "name": "policy-{{i:D3}}", "path": "/validate", "port": 443 } },
            "namespaceSelector": { "matchLabels": { "policy.example.com/enforce-{{i:D3}}": "true" } },
            "rules": [{ "apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"], "resources": ["pods"], "scope": "Namespaced" }]
          }]
        }
        """)!.AsObject();

    private static void UpsertDaemonSet(SandboxServer sandbox, int pods) => sandbox.Cluster.Upsert(JsonNode.Parse($$"""
        {
          "apiVersion": "apps/v1",
          "kind": "DaemonSet",
          "metadata": {
            "name": "{{DaemonSetName}}", "namespace": "{{AgentNamespace}}", "uid": "0d6b3f4e-5b4e-4c1a-9f3e-2a1b0c9d8e7f", "generation": 1,
            "labels": { "app.kubernetes.io/name": "aws-guardduty-agent" },
            "managedFields": [{
              "manager": "eks", "operation": "Apply", "apiVersion": "apps/v1", "time": "2026-11-26T08:00:00Z", "fieldsType": "FieldsV1",
              "fieldsV1": { "f:metadata": { "f:labels": { "f:app.kubernetes.io/name": {} } }, "f:spec": { "f:selector": {}, "f:template": { "f:metadata": { "f:labels": { "f:name": {} } }, "f:spec": { "f:containers": { "k:{\"name\":\"aws-guardduty-agent\"}": { ".": {}, "f:image": {}, "f:name": {} } }, "f:priorityClassName": {} } } } }
            }]
          },
          "spec": {
            "selector": { "matchLabels": { "name": "aws-guardduty-agent" } },
            "template": {
              "metadata": { "labels": { "name": "aws-guardduty-agent" } },
              "spec": { "priorityClassName": "aws-guardduty-agent.priorityclass", "containers": [{ "name": "aws-guardduty-agent", "image": "{{Image}}" }] }
            }
          },
          "status": {
            "currentNumberScheduled": {{pods}}, "desiredNumberScheduled": {{pods}}, "numberAvailable": {{pods}}, "numberMisscheduled": 0,
            "numberReady": {{pods}}, "updatedNumberScheduled": {{pods}}, "observedGeneration": 1
          }
        }
        """)!.AsObject());

    /// <summary>
    /// An agent pod shaped like a real one (the add-on's DaemonSet on a node): owner reference, the kubelet's and the
    /// controller's managedFields, env, mounts, tolerations, volumes and a full status — about what a real LIST returns.
    /// </summary>
    public static JsonObject Pod(int i)
    {
        var node = $"ip-10-{i / 62500 % 256}-{i / 250 % 250}-{i % 250 + 1}.ec2.internal";
        var ip = $"10.{i / 62500 % 256}.{i / 250 % 250}.{i % 250 + 1}";
        return JsonNode.Parse($$"""
            {
              "apiVersion": "v1",
              "kind": "Pod",
              "metadata": {
                "name": "aws-guardduty-agent-{{i:x6}}",
                "generateName": "aws-guardduty-agent-",
                "namespace": "{{AgentNamespace}}",
                "uid": "{{new Guid(i, 0, 0, new byte[8])}}",
                "creationTimestamp": "2026-11-26T08:00:00Z",
                "labels": { "name": "aws-guardduty-agent", "controller-revision-hash": "6d9f8b7c5d", "pod-template-generation": "1" },
                "ownerReferences": [{ "apiVersion": "apps/v1", "kind": "DaemonSet", "name": "{{DaemonSetName}}", "uid": "0d6b3f4e-5b4e-4c1a-9f3e-2a1b0c9d8e7f", "controller": true, "blockOwnerDeletion": true }],
                "managedFields": [
                  { "manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1", "time": "2026-11-26T08:00:00Z", "fieldsType": "FieldsV1",
                    "fieldsV1": { "f:metadata": { "f:generateName": {}, "f:labels": { ".": {}, "f:controller-revision-hash": {}, "f:name": {}, "f:pod-template-generation": {} }, "f:ownerReferences": { ".": {}, "k:{\"uid\":\"0d6b3f4e-5b4e-4c1a-9f3e-2a1b0c9d8e7f\"}": {} } },
                      "f:spec": { "f:affinity": { ".": {}, "f:nodeAffinity": { ".": {}, "f:requiredDuringSchedulingIgnoredDuringExecution": {} } }, "f:containers": { "k:{\"name\":\"aws-guardduty-agent\"}": { ".": {}, "f:env": { ".": {}, "k:{\"name\":\"CLUSTER_NAME\"}": { ".": {}, "f:name": {}, "f:value": {} }, "k:{\"name\":\"AWS_REGION\"}": { ".": {}, "f:name": {}, "f:value": {} }, "k:{\"name\":\"NODE_NAME\"}": { ".": {}, "f:name": {}, "f:valueFrom": {} } }, "f:image": {}, "f:imagePullPolicy": {}, "f:name": {}, "f:resources": { ".": {}, "f:limits": {}, "f:requests": {} }, "f:securityContext": {}, "f:terminationMessagePath": {}, "f:terminationMessagePolicy": {}, "f:volumeMounts": {} } }, "f:dnsPolicy": {}, "f:enableServiceLinks": {}, "f:hostPID": {}, "f:priorityClassName": {}, "f:restartPolicy": {}, "f:schedulerName": {}, "f:securityContext": {}, "f:serviceAccount": {}, "f:serviceAccountName": {}, "f:terminationGracePeriodSeconds": {}, "f:tolerations": {}, "f:volumes": {} } } },
                  { "manager": "kubelet", "operation": "Update", "apiVersion": "v1", "time": "2026-11-26T08:00:05Z", "fieldsType": "FieldsV1", "subresource": "status",
                    "fieldsV1": { "f:status": { "f:conditions": { "k:{\"type\":\"ContainersReady\"}": { ".": {}, "f:lastProbeTime": {}, "f:lastTransitionTime": {}, "f:status": {}, "f:type": {} }, "k:{\"type\":\"Initialized\"}": { ".": {}, "f:lastProbeTime": {}, "f:lastTransitionTime": {}, "f:status": {}, "f:type": {} }, "k:{\"type\":\"PodReadyToStartContainers\"}": { ".": {}, "f:lastProbeTime": {}, "f:lastTransitionTime": {}, "f:status": {}, "f:type": {} }, "k:{\"type\":\"Ready\"}": { ".": {}, "f:lastProbeTime": {}, "f:lastTransitionTime": {}, "f:status": {}, "f:type": {} } }, "f:containerStatuses": {}, "f:hostIP": {}, "f:hostIPs": {}, "f:phase": {}, "f:podIP": {}, "f:podIPs": { ".": {}, "k:{\"ip\":\"{{ip}}\"}": { ".": {}, "f:ip": {} } }, "f:startTime": {} } } }
                ]
              },
              "spec": {
                "nodeName": "{{node}}",
                "priorityClassName": "aws-guardduty-agent.priorityclass",
                "priority": 1000000,
                "preemptionPolicy": "Never",
                "serviceAccountName": "aws-guardduty-agent",
                "serviceAccount": "aws-guardduty-agent",
                "hostPID": true,
                "dnsPolicy": "ClusterFirst",
                "restartPolicy": "Always",
                "schedulerName": "default-scheduler",
                "terminationGracePeriodSeconds": 30,
                "affinity": { "nodeAffinity": { "requiredDuringSchedulingIgnoredDuringExecution": { "nodeSelectorTerms": [{ "matchFields": [{ "key": "metadata.name", "operator": "In", "values": ["{{node}}"] }] }] } } },
                "containers": [{
                  "name": "aws-guardduty-agent",
                  "image": "{{Image}}",
                  "imagePullPolicy": "IfNotPresent",
                  "env": [
                    { "name": "CLUSTER_NAME", "value": "scale-00" },
                    { "name": "AWS_REGION", "value": "us-east-1" },
                    { "name": "NODE_NAME", "valueFrom": { "fieldRef": { "apiVersion": "v1", "fieldPath": "spec.nodeName" } } }
                  ],
                  "resources": { "limits": { "cpu": "1", "memory": "1Gi" }, "requests": { "cpu": "200m", "memory": "256Mi" } },
                  "securityContext": { "privileged": true },
                  "terminationMessagePath": "/dev/termination-log",
                  "terminationMessagePolicy": "File",
                  "volumeMounts": [
                    { "name": "host-root", "mountPath": "/host", "readOnly": true },
                    { "name": "kube-api-access-{{i % 100000:D5}}", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true }
                  ]
                }],
                "tolerations": [
                  { "operator": "Exists" },
                  { "key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute" },
                  { "key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute" },
                  { "key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule" }
                ],
                "volumes": [
                  { "name": "host-root", "hostPath": { "path": "/", "type": "" } },
                  { "name": "kube-api-access-{{i % 100000:D5}}", "projected": { "defaultMode": 420, "sources": [{ "serviceAccountToken": { "expirationSeconds": 3607, "path": "token" } }, { "configMap": { "name": "kube-root-ca.crt", "items": [{ "key": "ca.crt", "path": "ca.crt" }] } }] } }
                ]
              },
              "status": {
                "phase": "Running",
                "hostIP": "{{ip}}",
                "hostIPs": [{ "ip": "{{ip}}" }],
                "podIP": "{{ip}}",
                "podIPs": [{ "ip": "{{ip}}" }],
                "qosClass": "Burstable",
                "startTime": "2026-11-26T08:00:01Z",
                "conditions": [
                  { "type": "PodReadyToStartContainers", "status": "True", "lastTransitionTime": "2026-11-26T08:00:03Z" },
                  { "type": "Initialized", "status": "True", "lastTransitionTime": "2026-11-26T08:00:01Z" },
                  { "type": "Ready", "status": "True", "lastTransitionTime": "2026-11-26T08:00:05Z" },
                  { "type": "ContainersReady", "status": "True", "lastTransitionTime": "2026-11-26T08:00:05Z" },
                  { "type": "PodScheduled", "status": "True", "lastTransitionTime": "2026-11-26T08:00:00Z" }
                ],
                "containerStatuses": [{
                  "name": "aws-guardduty-agent",
                  "image": "{{Image}}",
                  "imageID": "602401143452.dkr.ecr.us-east-1.amazonaws.com/aws-guardduty-agent@sha256:3f1c0b7e8d6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e",
                  "containerID": "containerd://{{i:x8}}c0ffee0ddba11f00dfeedfacecafebeef0123456789abcdef0123456789",
                  "ready": true,
                  "started": true,
                  "restartCount": 0,
                  "state": { "running": { "startedAt": "2026-11-26T08:00:04Z" } },
                  "lastState": {}
                }]
              }
            }
            """)!.AsObject();
    }

    private void Say(string line) => _log.WriteLine(line);

    /// <summary>The operator binary as a child process, with its metrics endpoint and /proc figures.</summary>
    private sealed class OperatorProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
        private readonly Stopwatch _started;
        private readonly StringBuilder _output = new();
        private readonly Lock _outputGate = new();
        private double? _cachesSyncedMs;

        private OperatorProcess(Process process, int metricsPort, Stopwatch started)
        {
            _process = process;
            MetricsUri = new Uri($"http://127.0.0.1:{metricsPort}/metrics");
            _started = started;
        }

        public Uri MetricsUri { get; }

        public bool HasExited => _process.HasExited;

        public int ExitCode => _process.ExitCode;

        public double SinceStart => _started.Elapsed.TotalMilliseconds;

        /// <summary>When the operator logged that its informers' first LISTs are in (null: not yet).</summary>
        public double? CachesSyncedMs
        {
            get
            {
                lock (_outputGate)
                {
                    return _cachesSyncedMs;
                }
            }
        }

        public static Task<OperatorProcess> StartAsync(string binary, string kubeconfig, IEnumerable<KeyValuePair<string, string>> awsEnvironment, string directory, CancellationToken cancellationToken)
        {
            _ = directory;
            var metricsPort = FreePort();
            var info = new ProcessStartInfo(binary)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { "run", "--agent-namespaces", AgentNamespace, "--metrics-bind-address", $"127.0.0.1:{metricsPort}", "--health-probe-bind-address", "127.0.0.1:0" })
            {
                info.ArgumentList.Add(arg);
            }

            info.Environment["KUBECONFIG"] = kubeconfig;
            foreach (var (key, value) in awsEnvironment)
            {
                info.Environment[key] = value;
            }

            var started = Stopwatch.StartNew();
            var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {binary}");
            var self = new OperatorProcess(process, metricsPort, started);
            process.OutputDataReceived += (_, e) => self.Append(e.Data);
            process.ErrorDataReceived += (_, e) => self.Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return Task.FromResult(self);
        }

        public async Task<double> WaitForMetricsAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"the operator exited ({_process.ExitCode}):\n{Tail()}");
                }

                try
                {
                    using var response = await _http.GetAsync(MetricsUri, cancellationToken);
                    if (response.IsSuccessStatusCode)
                    {
                        return SinceStart;
                    }
                }
                catch (HttpRequestException)
                {
                }

                await Task.Delay(TimeSpan.FromMilliseconds(5), cancellationToken);
            }
        }

        public async Task<Metrics> ScrapeAsync(CancellationToken cancellationToken)
        {
            try
            {
                return Metrics.Parse(await _http.GetStringAsync(MetricsUri, cancellationToken));
            }
            catch (HttpRequestException e)
            {
                // A 50,000-pod run once ended here with "connection refused" and nothing else to go on: say whether
                // the operator is still running, and what it last logged.
                var state = _process.HasExited ? $"exited with {_process.ExitCode}" : $"running, RSS {RssMiB():F1} MiB";
                throw new InvalidOperationException($"scraping {MetricsUri} failed ({e.Message}); the operator is {state}:\n{Tail()}", e);
            }
        }

        public double RssMiB() => ProcStatus("VmRSS:");

        public double PeakMiB() => ProcStatus("VmHWM:");

        /// <summary>
        /// Where the resident set is: the GC's heap and committed memory (from the operator's own /metrics) and
        /// /proc/PID/smaps summed by kind (the binary's mapped pages, anonymous memory with its largest mappings, the
        /// rest), so a change in RSS can be told apart as heap, GC slack or image.
        /// </summary>
        public async Task<string> MemoryAsync(CancellationToken cancellationToken)
        {
            var metrics = await ScrapeAsync(cancellationToken);
            double image = 0, anonymous = 0, other = 0;
            var largest = new List<double>();
            string? path = null;
            var binary = _process.MainModule?.FileName;
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/smaps"))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length >= 5 && fields[0].Contains('-', StringComparison.Ordinal) && !fields[0].EndsWith(':'))
                {
                    path = fields.Length >= 6 ? fields[5] : "";
                }
                else if (fields.Length >= 2 && fields[0] == "Rss:")
                {
                    var mib = double.Parse(fields[1], CultureInfo.InvariantCulture) / 1024;
                    if (path == binary)
                    {
                        image += mib;
                    }
                    else if (path is "" or "[heap]")
                    {
                        anonymous += mib;
                        largest.Add(mib);
                    }
                    else
                    {
                        other += mib;
                    }
                }
            }

            var top = string.Join(", ", largest.OrderDescending().Take(4).Select(m => m.ToString("F1", CultureInfo.InvariantCulture)));
            return $"GC heap {metrics.Sum("dotnet_gc_heap_size_bytes") / (1 << 20):F1} MiB, committed {metrics.Sum("dotnet_gc_committed_bytes") / (1 << 20):F1} MiB; " +
                   $"resident: image {image:F1}, anonymous {anonymous:F1} (largest {top}), other {other:F1} MiB";
        }

        public string Tail()
        {
            lock (_outputGate)
            {
                var text = _output.ToString();
                return text.Length > 4000 ? text[^4000..] : text;
            }
        }

        public async Task StopAsync()
        {
            if (!_process.HasExited)
            {
                // SIGTERM, as the kubelet stops a pod.
                using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
                await kill.WaitForExitAsync();
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                try
                {
                    await _process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            _process.Dispose();
            _http.Dispose();
        }

        private double ProcStatus(string field)
        {
            foreach (var line in File.ReadAllLines($"/proc/{_process.Id}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    var kb = double.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                    return kb / 1024;
                }
            }

            return double.NaN;
        }

        private void Append(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_outputGate)
            {
                if (_cachesSyncedMs is null && line.Contains("Caches synced", StringComparison.Ordinal))
                {
                    _cachesSyncedMs = SinceStart;
                }

                _output.AppendLine(line);
                if (_output.Length > 64_000)
                {
                    _output.Remove(0, 32_000);
                }
            }
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
            listener.Start();
            return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}

/// <summary>A parsed Prometheus text exposition: samples by name and labels.</summary>
public sealed class Metrics
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples;

    private Metrics(List<(string, Dictionary<string, string>, double)> samples) => _samples = samples;

    public static Metrics Parse(string text)
    {
        var samples = new List<(string, Dictionary<string, string>, double)>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var brace = line.IndexOf('{', StringComparison.Ordinal);
            var space = line.LastIndexOf(' ');
            var name = brace >= 0 ? line[..brace] : line[..space];
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            if (brace >= 0)
            {
                var close = line.LastIndexOf('}');
                foreach (var pair in line[(brace + 1)..close].Split("\",", StringSplitOptions.RemoveEmptyEntries))
                {
                    var eq = pair.IndexOf('=', StringComparison.Ordinal);
                    labels[pair[..eq].Trim(',', ' ')] = pair[(eq + 1)..].Trim('"');
                }
            }

            var value = line[(space + 1)..];
            samples.Add((name, labels, value == "+Inf" ? double.PositiveInfinity : double.Parse(value, CultureInfo.InvariantCulture)));
        }

        return new Metrics(samples);
    }

    public double Sum(string name) => _samples.Where(s => s.Name == name).Sum(s => s.Value);

    /// <summary>Cumulative buckets of a histogram, summed over series matching <paramref name="label"/>.</summary>
    public HistogramData Histogram(string name, (string Name, string Value)? label)
    {
        var buckets = new SortedDictionary<double, double>();
        foreach (var (sample, labels, value) in _samples)
        {
            if (sample != name + "_bucket" || (label is { } l && (!labels.TryGetValue(l.Name, out var v) || v != l.Value)))
            {
                continue;
            }

            var le = labels["le"] == "+Inf" ? double.PositiveInfinity : double.Parse(labels["le"], CultureInfo.InvariantCulture);
            buckets[le] = buckets.GetValueOrDefault(le) + value;
        }

        return new HistogramData(buckets);
    }
}

/// <summary>Cumulative histogram buckets (upper bound → count).</summary>
public sealed class HistogramData(SortedDictionary<double, double> cumulative)
{
    private readonly SortedDictionary<double, double> buckets = cumulative;

    public double Count => buckets.Count == 0 ? 0 : buckets.Values.Last();

    public HistogramData Minus(HistogramData other) =>
        new(new SortedDictionary<double, double>(buckets.ToDictionary(b => b.Key, b => b.Value - other.buckets.GetValueOrDefault(b.Key))));

    /// <summary>Prometheus' histogram_quantile: linear interpolation inside the bucket holding the rank.</summary>
    public double Quantile(double q)
    {
        var rank = q * Count;
        var lower = 0.0;
        var below = 0.0;
        foreach (var (bound, total) in buckets)
        {
            if (total >= rank)
            {
                if (double.IsPositiveInfinity(bound))
                {
                    return lower;
                }

                var inBucket = total - below;
                return inBucket <= 0 ? bound : lower + ((bound - lower) * (rank - below) / inBucket);
            }

            lower = bound;
            below = total;
        }

        return lower;
    }

    /// <summary>The upper bound of the bucket holding the rank (what a coarse histogram can honestly say).</summary>
    public double UpperBound(double q)
    {
        var rank = q * Count;
        foreach (var (bound, total) in buckets)
        {
            if (total >= rank)
            {
                return bound;
            }
        }

        return double.PositiveInfinity;
    }
}
