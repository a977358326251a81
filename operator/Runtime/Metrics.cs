using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace GuardDutyCoverage.Runtime;

/// <summary>
/// A small metrics registry rendered in the Prometheus text exposition format (0.0.4). Families are registered once
/// by name (registering the same name, type and labels again returns the existing family), so parts of the operator can
/// share it and add their own domain metrics.
/// </summary>
public sealed class MetricsRegistry
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly ConcurrentDictionary<string, MetricFamily> families = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<Action> collectors = new();

    public Counter Counter(string name, string help, params string[] labelNames) =>
        Register(name, () => new Counter(name, help, labelNames), labelNames);

    public Gauge Gauge(string name, string help, params string[] labelNames) =>
        Register(name, () => new Gauge(name, help, labelNames), labelNames);

    public Histogram Histogram(string name, string help, IReadOnlyList<double> buckets, params string[] labelNames) =>
        Register(name, () => new Histogram(name, help, buckets, labelNames), labelNames);

    /// <summary>
    /// Runs <paramref name="collect"/> before every render, for values read from a source at scrape time (the
    /// process's memory, the GC's counts) rather than updated as things happen: client_golang's collector.
    /// </summary>
    public void OnCollect(Action collect) => collectors.Enqueue(collect);

    /// <summary>Writes every family, sorted by name, in the Prometheus text format.</summary>
    public void WriteTo(TextWriter writer)
    {
        foreach (var collect in collectors)
        {
            collect();
        }

        foreach (var family in families.Values.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            family.WriteTo(writer);
        }
    }

    public string Render()
    {
        var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        WriteTo(writer);
        return writer.ToString();
    }

    private TFamily Register<TFamily>(string name, Func<TFamily> create, string[] labelNames)
        where TFamily : MetricFamily
    {
        MetricFamily.ValidateName(name);
        foreach (var label in labelNames)
        {
            MetricFamily.ValidateLabelName(label);
        }

        var family = families.GetOrAdd(name, _ => create());
        if (family is not TFamily typed || !family.LabelNames.SequenceEqual(labelNames))
        {
            throw new InvalidOperationException(
                $"metric {name} is already registered as a {family.Type} with labels [{string.Join(",", family.LabelNames)}]");
        }

        return typed;
    }
}

/// <summary>One named metric with its label names; children hold the values per label-value combination.</summary>
public abstract class MetricFamily
{
    private protected MetricFamily(string name, string help, string type, string[] labelNames)
    {
        Name = name;
        Help = help;
        Type = type;
        LabelNames = [.. labelNames];
    }

    public string Name { get; }

    public string Help { get; }

    public string Type { get; }

    public IReadOnlyList<string> LabelNames { get; }

    internal static void ValidateName(string name)
    {
        if (string.IsNullOrEmpty(name) || !IsNameStart(name[0]) || name.Any(c => !IsNameStart(c) && !char.IsAsciiDigit(c)))
        {
            throw new ArgumentException($"invalid metric name \"{name}\"", nameof(name));
        }
    }

    internal static void ValidateLabelName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.StartsWith("__", StringComparison.Ordinal) || name == "le" ||
            !(char.IsAsciiLetter(name[0]) || name[0] == '_') || name.Any(c => !char.IsAsciiLetterOrDigit(c) && c != '_'))
        {
            throw new ArgumentException($"invalid label name \"{name}\"", nameof(name));
        }
    }

    internal void WriteTo(TextWriter writer)
    {
        writer.Write("# HELP ");
        writer.Write(Name);
        writer.Write(' ');
        writer.Write(EscapeHelp(Help));
        writer.Write('\n');
        writer.Write("# TYPE ");
        writer.Write(Name);
        writer.Write(' ');
        writer.Write(Type);
        writer.Write('\n');
        WriteSamples(writer);
    }

    private protected abstract void WriteSamples(TextWriter writer);

    private protected static string LabelKey(IReadOnlyList<string> labelNames, string[] values)
    {
        if (values.Length != labelNames.Count)
        {
            throw new ArgumentException($"expected {labelNames.Count} label values ({string.Join(",", labelNames)}), got {values.Length}");
        }

        return string.Join('\u0001', values);
    }

    private protected static void WriteSample(TextWriter writer, string name, IReadOnlyList<string> labelNames, string[] labelValues, string? extraLabel, string? extraValue, double value)
    {
        writer.Write(name);
        if (labelNames.Count > 0 || extraLabel is not null)
        {
            writer.Write('{');
            var first = true;
            for (var i = 0; i < labelNames.Count; i++)
            {
                if (!first)
                {
                    writer.Write(',');
                }

                first = false;
                writer.Write(labelNames[i]);
                writer.Write("=\"");
                writer.Write(EscapeLabelValue(labelValues[i]));
                writer.Write('"');
            }

            if (extraLabel is not null)
            {
                if (!first)
                {
                    writer.Write(',');
                }

                writer.Write(extraLabel);
                writer.Write("=\"");
                writer.Write(extraValue);
                writer.Write('"');
            }

            writer.Write('}');
        }

        writer.Write(' ');
        writer.Write(FormatValue(value));
        writer.Write('\n');
    }

    /// <summary>Go's shortest float formatting, as Prometheus clients write it (1e-08, 0.005, +Inf).</summary>
    internal static string FormatValue(double value)
    {
        if (double.IsPositiveInfinity(value))
        {
            return "+Inf";
        }

        if (double.IsNegativeInfinity(value))
        {
            return "-Inf";
        }

        if (double.IsNaN(value))
        {
            return "NaN";
        }

        return value.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
    }

    private static bool IsNameStart(char c) => char.IsAsciiLetter(c) || c is '_' or ':';

    private static string EscapeHelp(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string EscapeLabelValue(string text)
    {
        if (text.AsSpan().IndexOfAny('\\', '"', '\n') < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            builder.Append(c switch
            {
                '\\' => "\\\\",
                '"' => "\\\"",
                '\n' => "\\n",
                _ => c.ToString(),
            });
        }

        return builder.ToString();
    }
}

/// <summary>A family of single-value series (counters and gauges): one atomic value per label set.</summary>
public abstract class ScalarMetric : MetricFamily
{
    private readonly ConcurrentDictionary<string, (string[] Labels, AtomicDouble Value)> children = new(StringComparer.Ordinal);

    private protected ScalarMetric(string name, string help, string type, string[] labelNames)
        : base(name, help, type, labelNames)
    {
    }

    public double Value(params string[] labelValues) =>
        children.TryGetValue(LabelKey(LabelNames, labelValues), out var child) ? child.Value.Read() : 0;

    private protected AtomicDouble Child(string[] labelValues)
    {
        var key = LabelKey(LabelNames, labelValues);
        return children.GetOrAdd(key, _ => ([.. labelValues], new AtomicDouble())).Value;
    }

    /// <summary>
    /// Drops the series matching <paramref name="match"/> (for example every series of a deleted object), so /metrics
    /// does not keep reporting things that no longer exist.
    /// </summary>
    private protected int RemoveSeriesWhere(Func<IReadOnlyList<string>, bool> match)
    {
        var removed = 0;
        foreach (var (key, child) in children)
        {
            if (match(child.Labels) && children.TryRemove(key, out _))
            {
                removed++;
            }
        }

        return removed;
    }

    private protected override void WriteSamples(TextWriter writer)
    {
        foreach (var (labels, value) in children.Values.OrderBy(c => string.Join('\u0001', c.Labels), StringComparer.Ordinal))
        {
            WriteSample(writer, Name, LabelNames, labels, null, null, value.Read());
        }
    }
}

/// <summary>A value that only goes up (resets on restart).</summary>
public sealed class Counter : ScalarMetric
{
    internal Counter(string name, string help, string[] labelNames)
        : base(name, help, "counter", labelNames)
    {
    }

    public void Inc(params string[] labelValues) => Child(labelValues).Add(1);

    public void Add(double amount, params string[] labelValues)
    {
        if (amount < 0 || double.IsNaN(amount))
        {
            throw new ArgumentOutOfRangeException(nameof(amount), "a counter cannot decrease");
        }

        Child(labelValues).Add(amount);
    }

    /// <summary>
    /// Sets the counter to a total kept elsewhere (the GC's collection count, the process's CPU time), read at
    /// scrape time. A total below the current value is ignored: a counter never goes down.
    /// </summary>
    public void SetTotal(double total, params string[] labelValues)
    {
        if (double.IsNaN(total))
        {
            throw new ArgumentOutOfRangeException(nameof(total), "a counter's total is a number");
        }

        Child(labelValues).RaiseTo(total);
    }
}

/// <summary>A value that goes up and down.</summary>
public sealed class Gauge : ScalarMetric
{
    internal Gauge(string name, string help, string[] labelNames)
        : base(name, help, "gauge", labelNames)
    {
    }

    public void Set(double value, params string[] labelValues) => Child(labelValues).Set(value);

    public void Add(double amount, params string[] labelValues) => Child(labelValues).Add(amount);

    /// <inheritdoc cref="ScalarMetric.RemoveSeriesWhere"/>
    public int RemoveWhere(Func<IReadOnlyList<string>, bool> match) => RemoveSeriesWhere(match);
}

/// <summary>Observations counted into cumulative buckets, with their sum and count.</summary>
public sealed class Histogram : MetricFamily
{
    private readonly double[] upperBounds;
    private readonly ConcurrentDictionary<string, Child> children = new(StringComparer.Ordinal);

    internal Histogram(string name, string help, IReadOnlyList<double> buckets, string[] labelNames)
        : base(name, help, "histogram", labelNames)
    {
        if (buckets.Count == 0 || buckets.Zip(buckets.Skip(1)).Any(p => p.First >= p.Second))
        {
            throw new ArgumentException("histogram buckets must be non-empty and strictly increasing", nameof(buckets));
        }

        upperBounds = [.. buckets.Where(b => !double.IsPositiveInfinity(b))];
    }

    public IReadOnlyList<double> Buckets => upperBounds;

    public void Observe(double value, params string[] labelValues)
    {
        var key = LabelKey(LabelNames, labelValues);
        var child = children.GetOrAdd(key, _ => new Child([.. labelValues], upperBounds.Length));
        child.Observe(upperBounds, value);
    }

    public (long Count, double Sum) Value(params string[] labelValues)
    {
        if (!children.TryGetValue(LabelKey(LabelNames, labelValues), out var child))
        {
            return (0, 0);
        }

        lock (child)
        {
            return (child.Count, child.Sum);
        }
    }

    /// <summary>Exponential buckets: <paramref name="start"/>, start×factor, … (<paramref name="count"/> of them).</summary>
    public static double[] ExponentialBuckets(double start, double factor, int count)
    {
        var buckets = new double[count];
        for (var i = 0; i < count; i++)
        {
            buckets[i] = start * Math.Pow(factor, i);
        }

        return buckets;
    }

    private protected override void WriteSamples(TextWriter writer)
    {
        foreach (var child in children.Values.OrderBy(c => string.Join('\u0001', c.Labels), StringComparer.Ordinal))
        {
            long[] counts;
            long count;
            double sum;
            lock (child)
            {
                counts = [.. child.BucketCounts];
                count = child.Count;
                sum = child.Sum;
            }

            long cumulative = 0;
            for (var i = 0; i < upperBounds.Length; i++)
            {
                cumulative += counts[i];
                WriteSample(writer, Name + "_bucket", LabelNames, child.Labels, "le", FormatValue(upperBounds[i]), cumulative);
            }

            WriteSample(writer, Name + "_bucket", LabelNames, child.Labels, "le", "+Inf", count);
            WriteSample(writer, Name + "_sum", LabelNames, child.Labels, null, null, sum);
            WriteSample(writer, Name + "_count", LabelNames, child.Labels, null, null, count);
        }
    }

    private sealed class Child(string[] labels, int buckets)
    {
        public string[] Labels { get; } = labels;

        public long[] BucketCounts { get; } = new long[buckets];

        public long Count { get; private set; }

        public double Sum { get; private set; }

        public void Observe(double[] upperBounds, double value)
        {
            lock (this)
            {
                var index = Array.BinarySearch(upperBounds, value);
                if (index < 0)
                {
                    index = ~index;
                }

                // Buckets are "less than or equal": a value equal to a bound belongs to that bound's bucket.
                if (index < upperBounds.Length)
                {
                    BucketCounts[index]++;
                }

                Count++;
                Sum += value;
            }
        }
    }
}

internal sealed class AtomicDouble
{
    private long bits;

    public double Read() => BitConverter.Int64BitsToDouble(Interlocked.Read(ref bits));

    public void Set(double value) => Interlocked.Exchange(ref bits, BitConverter.DoubleToInt64Bits(value));

    /// <summary>Sets the value to <paramref name="value"/> if that is greater (two scrapes at once keep the larger).</summary>
    public void RaiseTo(double value)
    {
        while (true)
        {
            var current = Interlocked.Read(ref bits);
            if (BitConverter.Int64BitsToDouble(current) >= value ||
                Interlocked.CompareExchange(ref bits, BitConverter.DoubleToInt64Bits(value), current) == current)
            {
                return;
            }
        }
    }

    public void Add(double amount)
    {
        while (true)
        {
            var current = Interlocked.Read(ref bits);
            var next = BitConverter.DoubleToInt64Bits(BitConverter.Int64BitsToDouble(current) + amount);
            if (Interlocked.CompareExchange(ref bits, next, current) == current)
            {
                return;
            }
        }
    }
}
