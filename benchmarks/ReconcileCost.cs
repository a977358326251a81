using System.Diagnostics;
using GuardDutyCoverage.Tests.Scale;

namespace GuardDutyCoverage.Benchmarks;

/// <summary>
/// The cost of a reconcile that needs no probe refresh, in process: the real <c>CoverageReconciler</c> over informer
/// caches holding N agent pods (the scale harness' pod shape), timed per reconcile and per stage. Two kinds of no-op:
/// nothing changed at all (the caches' generations did not move), and one pod changed in a way no check reads (an
/// annotation, what the scale harness does). Prints numbers; asserts nothing.
/// </summary>
public static class ReconcileCost
{
    public static async Task RunAsync(int pods, int nodes, int rounds, TextWriter output)
    {
        var load = Stopwatch.StartNew();
        await using var loaded = await LoadedReconciler.StartAsync(pods, nodes, webhooks: 200, pod: ScaleHarness.Pod);
        output.WriteLine($"reconcile cost: {pods:N0} agent pods, {Math.Min(nodes, pods):N0} nodes, 200 webhooks, 1 CR (loaded and Ready in {load.Elapsed.TotalSeconds:F1} s)");
        var writes = loaded.StatusWrites;

        // Warm up both paths (JIT), then measure.
        for (var i = 0; i < 20; i++)
        {
            await loaded.ReconcileAsync();
            await loaded.TouchPodAsync(i % pods, -i - 1);
            await loaded.ReconcileAsync();
        }

        var unchanged = new List<double>();
        for (var i = 0; i < rounds; i++)
        {
            var clock = Stopwatch.StartNew();
            await loaded.ReconcileAsync();
            unchanged.Add(clock.Elapsed.TotalMilliseconds);
        }

        var touched = new List<double>();
        for (var i = 0; i < rounds; i++)
        {
            await loaded.TouchPodAsync(i % pods, i);
            var clock = Stopwatch.StartNew();
            await loaded.ReconcileAsync();
            touched.Add(clock.Elapsed.TotalMilliseconds);
        }

        output.WriteLine($"  no-op reconcile, nothing changed:          {Summary(unchanged)}");
        output.WriteLine($"  no-op reconcile, one pod annotation changed: {Summary(touched)}");
        output.WriteLine($"  status writes during the measurement: {loaded.StatusWrites - writes}");

        // Per stage, averaged: after a pod touch (the snapshot is rebuilt) and with nothing changed.
        foreach (var (what, touch) in new[] { ("after a pod touch", true), ("nothing changed", false) })
        {
            var sums = new Dictionary<string, double>(StringComparer.Ordinal);
            var order = new List<string>();
            var n = Math.Max(5, rounds / 4);
            for (var i = 0; i < n; i++)
            {
                if (touch)
                {
                    await loaded.TouchPodAsync(i % pods, rounds + i);
                }

                foreach (var (stage, elapsed) in await loaded.Stages())
                {
                    if (!sums.ContainsKey(stage))
                    {
                        order.Add(stage);
                    }

                    sums[stage] = sums.GetValueOrDefault(stage) + elapsed.TotalMilliseconds;
                }
            }

            output.WriteLine($"  stages ({what}; mean of {n}, ms):");
            foreach (var stage in order)
            {
                output.WriteLine($"    {stage,-40} {sums[stage] / n,9:F3}");
            }
        }
    }

    private static string Summary(List<double> samples)
    {
        var sorted = samples.Order().ToList();
        double At(double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
        return $"p50 {At(0.5):F3} ms, p99 {At(0.99):F3} ms, max {sorted[^1]:F3} ms over {sorted.Count}";
    }
}
