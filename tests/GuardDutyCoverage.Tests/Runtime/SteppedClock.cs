using Microsoft.Extensions.Time.Testing;

namespace GuardDutyCoverage.Tests.Runtime;

/// <summary>
/// A fake clock that knows its timers: which are pending, when they are due, and how many were armed since the last
/// step. A test steps it only when the code under test is waiting on it (a timer armed since the last step is pending
/// and nothing new was armed for a moment), and then only to the next due time. So time never runs ahead of code that
/// has not yet observed the last step — however slowly the thread pool runs that code on a loaded machine.
/// </summary>
public sealed class SteppedClock : TimeProvider
{
    private readonly FakeTimeProvider fake;
    private readonly Lock gate = new();
    private readonly List<TrackedTimer> pending = [];
    private long arms;
    private long armsAtLastStep;

    public SteppedClock(DateTimeOffset start)
    {
        fake = new FakeTimeProvider(start);
    }

    public DateTimeOffset Start => fake.Start;

    public override DateTimeOffset GetUtcNow() => fake.GetUtcNow();

    public override long GetTimestamp() => fake.GetTimestamp();

    public override long TimestampFrequency => fake.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => fake.LocalTimeZone;

    /// <summary>Due times of the timers armed and not yet fired or disposed.</summary>
    public IReadOnlyList<DateTimeOffset> PendingDueTimes
    {
        get
        {
            lock (gate)
            {
                return [.. pending.Select(t => t.Due)];
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new TrackedTimer(this);
        timer.Inner = fake.CreateTimer(
            s =>
            {
                timer.Fired();
                callback(s);
            },
            state,
            Timeout.InfiniteTimeSpan,
            Timeout.InfiniteTimeSpan);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Moves time by <paramref name="amount"/> (timers due meanwhile fire inside this call).</summary>
    public void Advance(TimeSpan amount)
    {
        lock (gate)
        {
            armsAtLastStep = arms;
        }

        fake.Advance(amount);
    }

    /// <summary>
    /// Waits (real time, bounded) until the code under test waits on a timer armed since the last step that
    /// <paramref name="accept"/> (given its due time) accepts, with no new timer armed for a few milliseconds; then
    /// moves time to the earliest such due time. Returns false when nothing came to wait within
    /// <paramref name="timeout"/> (the code finished, or waits on something else).
    /// </summary>
    public async Task<bool> StepToNextTimerAsync(Func<DateTimeOffset, bool>? accept = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        long seen = -1;
        while (DateTime.UtcNow < deadline)
        {
            DateTimeOffset? next;
            long now;
            lock (gate)
            {
                now = arms;
                next = arms > armsAtLastStep
                    ? pending.Where(t => t.ArmedAt > armsAtLastStep && (accept?.Invoke(t.Due) ?? true)).Select(t => (DateTimeOffset?)t.Due).Min()
                    : null;
            }

            if (next is { } due && now == seen)
            {
                var amount = due - GetUtcNow();
                Advance(amount > TimeSpan.Zero ? amount : TimeSpan.Zero);
                return true;
            }

            seen = next is null ? -1 : now;
            await Task.Delay(2);
        }

        return false;
    }

    /// <summary>Steps from timer to timer until <paramref name="condition"/> holds; fails after <paramref name="maxSteps"/>.</summary>
    public async Task StepUntilAsync(Func<bool> condition, int maxSteps = 1000, Func<DateTimeOffset, bool>? accept = null)
    {
        for (var step = 0; step < maxSteps && !condition(); step++)
        {
            if (!await StepToNextTimerAsync(accept, TimeSpan.FromSeconds(5)) && !condition())
            {
                // Nothing new to wait for: the awaited work may still be finishing on the thread pool.
                await Task.Delay(10);
            }
        }

        Assert.True(condition(), $"condition not reached after {maxSteps} steps (fake time {GetUtcNow() - Start})");
    }

    private sealed class TrackedTimer(SteppedClock clock) : ITimer
    {
        public ITimer Inner { get; set; } = null!;

        public DateTimeOffset Due { get; private set; }

        public long ArmedAt { get; private set; }

        private TimeSpan period = Timeout.InfiniteTimeSpan;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock.gate)
            {
                clock.pending.Remove(this);
                this.period = period;
                if (dueTime != Timeout.InfiniteTimeSpan)
                {
                    Due = clock.GetUtcNow() + dueTime;
                    ArmedAt = ++clock.arms;
                    clock.pending.Add(this);
                }
            }

            return Inner.Change(dueTime, period);
        }

        public void Fired()
        {
            lock (clock.gate)
            {
                clock.pending.Remove(this);
                if (period != Timeout.InfiniteTimeSpan && period > TimeSpan.Zero)
                {
                    Due = clock.GetUtcNow() + period;
                    ArmedAt = ++clock.arms;
                    clock.pending.Add(this);
                }
            }
        }

        public void Dispose()
        {
            lock (clock.gate)
            {
                clock.pending.Remove(this);
            }

            Inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
