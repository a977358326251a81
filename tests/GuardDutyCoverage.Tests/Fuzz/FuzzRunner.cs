using System.Diagnostics;
using System.Globalization;
using FsCheck;
using FsCheck.Fluent;

namespace GuardDutyCoverage.Tests.Fuzz;

/// <summary>What one fuzz target did: the numbers <c>make fuzz</c> reports.</summary>
public sealed record FuzzOutcome(string Target, int Inputs, TimeSpan Elapsed, TimeSpan Slowest, IReadOnlyList<string> Crashes, IReadOnlyList<string> Violations, bool Hung)
{
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture,
            $"fuzz {Target}: {Inputs} inputs in {Elapsed.TotalSeconds:0.0} s, slowest {Slowest.TotalMilliseconds:0} ms, {Crashes.Count} crashes, {Violations.Count} property violations, {(Hung ? 1 : 0)} hangs");
}

/// <summary>
/// Drives FsCheck generators with a fixed seed: inputs are drawn in batches (<c>Gen.Sample</c> with a seeded
/// <see cref="Rnd"/>), so a run is reproducible from the seed and the input's index, and large inputs (10 MB files) are
/// never all in memory at once. A check returns null when the property holds, else what was wrong; an exception it
/// lets escape is a crash. An input running longer than <see cref="HangLimit"/> is a hang (a detector with a very
/// generous limit, not a performance assertion).
/// </summary>
public static class FuzzRunner
{
    /// <summary>The seed of every run unless GDC_FUZZ_SEED says otherwise.</summary>
    public const int DefaultSeed = 20261205;

    public static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(60);

    private const int BatchSize = 256;

    private static readonly Lock ReportLock = new();

    /// <summary>
    /// GDC_FUZZ_SCALE multiplies every target's input count: 1 (the default) in <c>make test</c>, larger in
    /// <c>make fuzz</c>.
    /// </summary>
    public static int Scale => int.TryParse(Environment.GetEnvironmentVariable("GDC_FUZZ_SCALE"), NumberStyles.None, CultureInfo.InvariantCulture, out var scale) && scale > 0 ? scale : 1;

    public static int Seed => int.TryParse(Environment.GetEnvironmentVariable("GDC_FUZZ_SEED"), NumberStyles.None, CultureInfo.InvariantCulture, out var seed) ? seed : DefaultSeed;

    /// <summary>
    /// FNV-1a of the text: string.GetHashCode is randomized per process, which made every run draw other inputs
    /// than the seed promised (a CI failure that no rerun with the printed seed could reproduce).
    /// </summary>
    public static ulong StableHash(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash = unchecked((hash ^ c) * 1099511628211UL);
        }

        return hash;
    }

    public static async Task<FuzzOutcome> RunAsync<T>(string target, Gen<T> generator, int inputs, Func<T, Task<string?>> check, Func<T, string> describe, int size = 100)
    {
        var crashes = new List<string>();
        var violations = new List<string>();
        var total = Stopwatch.StartNew();
        var slowest = TimeSpan.Zero;
        var done = 0;
        var hung = false;
        for (var batch = 0; done < inputs && !hung; batch++)
        {
            var count = Math.Min(BatchSize, inputs - done);
            var rnd = new Rnd(unchecked((ulong)Seed * 1_000_003UL + (ulong)batch * 7919UL + StableHash(target)));
            var values = Gen.Sample(generator, count, rnd, size);
            foreach (var value in values)
            {
                var index = done++;
                var watch = Stopwatch.StartNew();
                var run = Task.Run(() => check(value));
                try
                {
                    var problem = await run.WaitAsync(HangLimit);
                    if (problem is not null && violations.Count < 20)
                    {
                        violations.Add($"#{index} ({describe(value)}): {problem}");
                    }
                }
                catch (TimeoutException)
                {
                    hung = true;
                    crashes.Add($"#{index} ({describe(value)}): no result within {HangLimit.TotalSeconds:0} s");
                    break;
                }
                catch (Exception e)
                {
                    if (crashes.Count < 20)
                    {
                        var frames = string.Join(" < ", (e.StackTrace ?? "").Split('\n', StringSplitOptions.TrimEntries).Take(4));
                        crashes.Add($"#{index} ({describe(value)}): {e.GetType().Name}: {e.Message} at {frames}");
                    }
                }

                if (watch.Elapsed > slowest)
                {
                    slowest = watch.Elapsed;
                }
            }
        }

        var outcome = new FuzzOutcome(target, done, total.Elapsed, slowest, crashes, violations, hung);
        Report(outcome);
        return outcome;
    }

    public static Task<FuzzOutcome> RunAsync<T>(string target, Gen<T> generator, int inputs, Func<T, string?> check, Func<T, string> describe, int size = 100) =>
        RunAsync(target, generator, inputs, value => Task.FromResult(check(value)), describe, size);

    /// <summary>Appends the outcome to GDC_FUZZ_REPORT (make fuzz prints it).</summary>
    private static void Report(FuzzOutcome outcome)
    {
        if (Environment.GetEnvironmentVariable("GDC_FUZZ_REPORT") is { Length: > 0 } path)
        {
            lock (ReportLock)
            {
                File.AppendAllText(path, outcome + Environment.NewLine);
            }
        }
    }

    /// <summary>Fails with every crash, violation and hang listed.</summary>
    public static void AssertClean(FuzzOutcome outcome, int minimumInputs)
    {
        Assert.True(outcome.Inputs >= minimumInputs, $"{outcome}: fewer than {minimumInputs} inputs ran");
        Assert.True(outcome.Crashes.Count == 0 && outcome.Violations.Count == 0 && !outcome.Hung,
            outcome + Environment.NewLine + string.Join(Environment.NewLine, outcome.Crashes.Concat(outcome.Violations)));
    }

    /// <summary>A short, printable description of an input for failure messages.</summary>
    public static string Describe(string text) =>
        text.Length <= 120 ? Escape(text) : $"{text.Length} chars: {Escape(text[..80])}…";

    private static string Escape(string text) =>
        string.Concat(text.Select(c => char.IsControl(c) || char.IsSurrogate(c) ? $"\\u{(int)c:x4}" : c.ToString()));
}
