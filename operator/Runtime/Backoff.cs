namespace GuardDutyCoverage.Runtime;

/// <summary>
/// Jittered exponential backoff (client-go's wait.Backoff with jitter 1.0): each step doubles up to the cap, and the
/// delay handed out is the step plus up to one more step of random jitter, so reconnecting clients spread out.
/// </summary>
public sealed class Backoff
{
    private readonly Random random;
    private TimeSpan step;

    public Backoff(TimeSpan initial, TimeSpan max, Random? random = null, double jitter = 1.0)
    {
        if (initial <= TimeSpan.Zero || max < initial || jitter < 0)
        {
            throw new ArgumentException("need 0 < initial <= max and jitter >= 0");
        }

        Initial = initial;
        Max = max;
        Jitter = jitter;
        this.random = random ?? new Random();
        step = initial;
    }

    public TimeSpan Initial { get; }

    public TimeSpan Max { get; }

    public double Jitter { get; }

    /// <summary>Consecutive delays handed out since the last <see cref="Reset"/>.</summary>
    public int Attempts { get; private set; }

    public TimeSpan Next()
    {
        var current = step;
        step = TimeSpan.FromTicks(Math.Min(Max.Ticks, step.Ticks * 2));
        Attempts++;
        return Jitter == 0 ? current : current + TimeSpan.FromTicks((long)(current.Ticks * Jitter * random.NextDouble()));
    }

    public void Reset()
    {
        step = Initial;
        Attempts = 0;
    }
}
