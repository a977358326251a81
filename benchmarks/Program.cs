using System.Diagnostics;
using System.Globalization;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Aws.Model;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Tests.Aws;
using GuardDutyCoverage.Tests.Diagnosis;
using GuardDutyCoverage.Tests.Integration;

// Numbers, not verdicts: each benchmark prints what it measured. Run with `make bench` (Release).
var results = new List<(string Name, string Value)>();
var quick = args.Contains("--quick");
var scaleOnly = args.Contains("--scale-only");
var scaleSizes = Option("--scale-sizes")?.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList()
    ?? (args.Contains("--no-scale") ? [] : Option("--scale-pods") is { } podCount ? [int.Parse(podCount, CultureInfo.InvariantCulture)] : [5_000, 50_000]);
// --operator-env NAME=VALUE (repeatable): e.g. DOTNET_GCConserveMemory=5 to compare GC settings without a rebuild.
var operatorEnvironment = args.Select((a, i) => (a, i)).Where(p => p.a == "--operator-env" && p.i + 1 < args.Length)
    .Select(p => args[p.i + 1].Split('=', 2)).Select(kv => KeyValuePair.Create(kv[0], kv.Length > 1 ? kv[1] : "")).ToList();
// --reconcile-cost [--reconcile-pods N] [--reconcile-nodes N]: only the in-process reconcile cost (no operator binary needed).
if (args.Contains("--reconcile-cost"))
{
    var costPods = int.Parse(Option("--reconcile-pods") ?? "5000", CultureInfo.InvariantCulture);
    var costNodes = int.Parse(Option("--reconcile-nodes") ?? "0", CultureInfo.InvariantCulture);
    await GuardDutyCoverage.Benchmarks.ReconcileCost.RunAsync(costPods, costNodes, rounds: quick ? 50 : 200, Console.Out);
    return 0;
}

var operatorBinary = Option("--operator") ?? Path.Combine(GuardDutyCoverage.Tests.RepoPaths.Root, "artifacts", "publish-aot", "linux-amd64", "guardduty-coverage");
Console.WriteLine($"GuardDuty Coverage Operator benchmarks ({Environment.ProcessorCount} cores, .NET {Environment.Version}{(quick ? ", quick" : "")})");

if (!scaleOnly)
{
// 1. The diagnosis engine (pure): a healthy and a broken snapshot.
foreach (var (name, builder) in new[]
{
    ("diagnose healthy snapshot", new SnapshotBuilder()),
    ("diagnose broken snapshot (crash loop + GuardDuty issue + add-on issue)", Broken()),
})
{
    var snapshot = builder.Build();
    var (perOp, bytes) = Measure(quick ? 2_000 : 20_000, () => DiagnosisEngine.Diagnose(snapshot));
    results.Add((name, $"{perOp.TotalMicroseconds:F1} µs/op, {bytes / 1024.0:F1} KiB allocated/op"));
}

// 2. The issue parser on every documented shape and a hostile 100 KB string.
var issue = "Addon Update Failed: EKS Addon issue - AccessDenied: priorityclasses.scheduling.k8s.io \"aws-guardduty-agent.priorityclass\" is forbidden: User \"eks:addon-manager\" cannot patch resource \"priorityclasses\"";
results.Add(("parse a documented issue string", $"{Measure(quick ? 20_000 : 200_000, () => IssueParser.ParseGuardDutyIssue(issue)).PerOp.TotalMicroseconds:F2} µs/op"));
var hostile = new string(':', 50_000) + "EKS Addon issue - " + new string('x', 50_000);
results.Add(("parse a hostile 100 KB issue string", $"{Measure(quick ? 20 : 200, () => IssueParser.ParseGuardDutyIssue(hostile)).PerOp.TotalMilliseconds:F2} ms/op"));

// 3. End to end on the sandbox: CR created → Ready, and a cluster change → the status naming it (watch-driven).
await using (var it = await OperatorUnderTest.StartAsync())
{
    var create = Stopwatch.StartNew();
    it.ApplyCoverage();
    await it.WaitForReadyAsync(ConditionStatus.True);
    results.Add(("new GuardDutyCoverage → Ready (first reconcile incl. probes and AWS poll)", $"{create.Elapsed.TotalMilliseconds:F0} ms"));

    var latencies = new List<double>();
    for (var i = 0; i < (quick ? 5 : 25); i++)
    {
        var clock = Stopwatch.StartNew();
        it.Sandbox.Cluster.Delete("scheduling.k8s.io/v1", "PriorityClass", null, "aws-guardduty-agent.priorityclass");
        await it.WaitForFindingAsync(ReasonCodes.PriorityClassMissing);
        latencies.Add(clock.Elapsed.TotalMilliseconds);
        clock.Restart();
        it.Sandbox.Cluster.LoadYaml(File.ReadAllText(Path.Combine(GuardDutyCoverage.Tests.RepoPaths.Root, "tests", "scenarios", "demo", "00-cluster.yaml")));
        await it.WaitForReadyAsync(ConditionStatus.True);
        latencies.Add(clock.Elapsed.TotalMilliseconds);
    }

    latencies.Sort();
    results.Add(("cluster change → status names it (watch → reconcile → patch)", $"p50 {Percentile(latencies, 0.5):F0} ms, p95 {Percentile(latencies, 0.95):F0} ms over {latencies.Count} (the store is read every 20 ms)"));
}

// 4. Many CRs, one ListCoverage pass: reconciles and AWS calls for 50 GuardDutyCoverages.
await using (var it = await OperatorUnderTest.StartAsync())
{
    var clock = Stopwatch.StartNew();
    for (var i = 0; i < 50; i++)
    {
        it.ApplyCoverage(name: $"view-{i:D2}");
    }

    for (var i = 0; i < 50; i++)
    {
        await it.WaitForReadyAsync(ConditionStatus.True, name: $"view-{i:D2}");
    }

    results.Add(("50 GuardDutyCoverages → all Ready", $"{clock.Elapsed.TotalMilliseconds:F0} ms, {it.Aws.Calls("ListCoverage")} ListCoverage call(s), {it.Sandbox.Requests.Count(r => r.Subresource == "status")} status writes"));
}

// 5. The shared poller against the local AWS endpoints (real HTTP, SigV4, model validation): 1,000 clusters, paged.
await using (var aws = await LocalAws.StartAsync())
{
    for (var i = 0; i < 1000; i++)
    {
        aws.State.PutCoverage(GuardDutyCoverage.Sandbox.Aws.LocalAwsState.EksCoverage(LocalAws.DetectorId, LocalAws.AccountId, $"cluster-{i:D4}", "HEALTHY"));
    }

    var guardDuty = aws.GuardDuty();
    var clock = Stopwatch.StartNew();
    var all = await guardDuty.ListAllCoverageAsync(LocalAws.DetectorId, new ListCoverageRequest { MaxResults = 50 }, null, default);
    results.Add(("ListCoverage, 1,000 clusters in pages of 50 (local endpoint)", $"{clock.Elapsed.TotalMilliseconds:F0} ms for {all.Count} resources, {aws.State.CountRequests("ListCoverage")} requests"));
}

// 6. An API server restart (etcd kept) under a running operator: LISTs and requests per informer until a change made
// right after it is in the status (the sandbox's v1.24 resourceVersion semantics, k8s-golden 91-94).
await using (var it = await OperatorUnderTest.StartAsync())
{
    it.ApplyCoverage();
    await it.WaitForReadyAsync(ConditionStatus.True);
    it.Sandbox.ClearRequests();
    var clock = Stopwatch.StartNew();
    var restart = it.Sandbox.Faults.RestartApiServer();
    it.Sandbox.Cluster.Delete("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", null, "eks:addon-cluster-admin");
    await it.WaitForFindingAsync(ReasonCodes.AddonManagerForbidden);
    var seen = clock.Elapsed;
    var perResource = it.Sandbox.Requests
        .Where(r => r.IsResourceRequest && r.Verb is "list" or "watch" && r.Name is null)
        .GroupBy(r => r.Resource)
        .OrderBy(g => g.Key, StringComparer.Ordinal)
        .Select(g => $"{g.Key} {g.Count(r => r.Verb == "list")}/{g.Count()}");
    results.Add(("API server restart: LISTs/requests per informer until a change is in the status",
        $"{string.Join(", ", perResource)}; {restart.BrokenWatches} watches broken; change seen after {seen.TotalMilliseconds:F0} ms"));
}

var width = results.Max(r => r.Name.Length);
Console.WriteLine();
foreach (var (name, value) in results)
{
    Console.WriteLine($"  {name.PadRight(width)}  {value}");
}
}

// 6. The scale harness (issue 11): the operator binary as a process against N agent pods; one column per size.
if (scaleSizes.Count > 0)
{
    if (!File.Exists(operatorBinary))
    {
        Console.Error.WriteLine($"scale harness: no operator binary at {operatorBinary}: run `make publish-aot` first, or pass --operator PATH (--no-scale skips the harness)");
        return 2;
    }

    var scale = new List<GuardDutyCoverage.Benchmarks.ScaleResult>();
    foreach (var pods in scaleSizes)
    {
        scale.Add(await new GuardDutyCoverage.Benchmarks.ScaleHarness(operatorBinary, operatorEnvironment: operatorEnvironment).RunAsync(pods, CancellationToken.None));
    }

    Console.WriteLine();
    Console.WriteLine($"Scale ({operatorBinary}, {new FileInfo(operatorBinary).Length / 1024.0 / 1024.0:F1} MiB binary):");
    GuardDutyCoverage.Benchmarks.ScaleHarness.PrintTable(scale, Console.Out);
    Console.WriteLine();
    Console.WriteLine("A line per size:");
    GuardDutyCoverage.Benchmarks.ScaleHarness.PrintLines(scale, Console.Out);
}

return 0;

string? Option(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static SnapshotBuilder Broken()
{
    var builder = new SnapshotBuilder()
        .GuardDutyIssue("Addon Status Unhealthy: EKS Addon issue - InsufficientNumberOfReplicas: The add-on is unhealthy because one or more pods have waiting containers CrashLoopBackOff: Error")
        .AddonIssue("InsufficientNumberOfReplicas", "The add-on is unhealthy because it doesn't have the desired number of replicas.");
    builder.Pods[1] = SnapshotBuilder.WaitingPod("aws-guardduty-agent-b2", "CrashLoopBackOff", restarts: 5, lastExit: 1);
    builder.DaemonSet!.Status.NumberAvailable = 2;
    return builder;
}

static (TimeSpan PerOp, double Bytes) Measure(int iterations, Action action)
{
    for (var i = 0; i < Math.Max(10, iterations / 10); i++)
    {
        action();
    }

    var before = GC.GetAllocatedBytesForCurrentThread();
    var clock = Stopwatch.StartNew();
    for (var i = 0; i < iterations; i++)
    {
        action();
    }

    clock.Stop();
    return (clock.Elapsed / iterations, (GC.GetAllocatedBytesForCurrentThread() - before) / (double)iterations);
}

static double Percentile(List<double> sorted, double p) =>
    sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
