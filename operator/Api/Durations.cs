using System.Globalization;
using System.Text.RegularExpressions;

namespace GuardDutyCoverage.Api;

/// <summary>Durations in the h/m/s subset of Go's time.ParseDuration, as used by <c>spec.interval</c>.</summary>
public static partial class Durations
{
    /// <summary>
    /// Accepts only durations of at least one minute, so the CRD schema itself rejects "30s" or "0m":
    /// non-zero hours; or non-zero minutes; or at least 60 seconds.
    /// </summary>
    public const string AtLeastOneMinutePattern =
        @"^(0*[1-9][0-9]*h([0-9]+m)?([0-9]+s)?|(0+h)?0*[1-9][0-9]*m([0-9]+s)?|(0+h)?(0+m)?0*([6-9][0-9]|[1-9][0-9]{2,})s)$";

    public static readonly TimeSpan Minimum = TimeSpan.FromMinutes(1);

    /// <summary>The longest interval accepted; beyond it the CR is Stalled (the schema cannot bound the numbers).</summary>
    public static readonly TimeSpan Maximum = TimeSpan.FromDays(7);

    [GeneratedRegex(@"^(?:(?<h>[0-9]+)h)?(?:(?<m>[0-9]+)m)?(?:(?<s>[0-9]+)s)?$", RegexOptions.CultureInvariant)]
    private static partial Regex HmsPattern();

    /// <summary>Parses "1h30m", "5m", "90s". Returns false (with a message saying what to change) for anything else.</summary>
    public static bool TryParse(string? text, out TimeSpan value, out string error)
    {
        value = default;
        error = "";
        if (string.IsNullOrEmpty(text))
        {
            error = "is empty; use a duration such as 5m";
            return false;
        }

        var match = HmsPattern().Match(text);
        if (!match.Success || text.Length == 0)
        {
            error = $"\"{text}\" is not a duration of hours, minutes and seconds such as 5m, 1h30m or 90s";
            return false;
        }

        double total = 0;
        foreach (var (group, seconds) in new[] { ("h", 3600d), ("m", 60d), ("s", 1d) })
        {
            var g = match.Groups[group];
            if (!g.Success)
            {
                continue;
            }

            if (!double.TryParse(g.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                error = $"\"{text}\" is out of range";
                return false;
            }

            total += n * seconds;
        }

        if (total < Minimum.TotalSeconds)
        {
            error = $"\"{text}\" is shorter than the minimum of 1m";
            return false;
        }

        if (total > Maximum.TotalSeconds)
        {
            error = $"\"{text}\" is longer than the maximum of 168h (7 days)";
            return false;
        }

        value = TimeSpan.FromSeconds(total);
        return true;
    }
}
