using System.Globalization;
using GuardDutyCoverage.Api;

namespace GuardDutyCoverage.Controller;

/// <summary>
/// The MESSAGE column (<c>status.summary</c>): one line of at most <see cref="MaxLength"/> characters naming the Ready
/// reason, the top cause and how many more. Messages can run to hundreds of characters (GuardDuty's issue text, one
/// part per source); the full text stays in <c>status.findings</c>, the conditions and <c>diagnose</c>.
/// </summary>
public static class StatusSummary
{
    public const int MaxLength = 120;

    private const string Ellipsis = "...";

    /// <param name="reason">The Ready condition's reason.</param>
    /// <param name="message">The Ready condition's message (used when no finding carries the reason).</param>
    public static string Compose(string reason, string message, IReadOnlyList<Finding>? findings)
    {
        findings ??= [];
        var top = findings.FirstOrDefault(f => f.Reason == reason);
        // The top finding's first part is what the cluster itself saw; later parts repeat it from other sources.
        var text = top is null ? StripMore(message) : top.Message.Split(" | ", 2)[0];
        var more = top is null ? 0 : findings.Count(f => f.Reason != reason && f.Severity != "Info");
        return Compose(reason, text, more);
    }

    public static string Compose(string reason, string text, int more)
    {
        var suffix = more > 0 ? string.Create(CultureInfo.InvariantCulture, $" (+{more} more)") : "";
        var line = OneLine($"{reason}: {text}");
        var room = MaxLength - suffix.Length;
        if (line.Length > room)
        {
            line = line[..(room - Ellipsis.Length)].TrimEnd() + Ellipsis;
        }

        return line + suffix;
    }

    /// <summary>Ready messages end in "(and N more: A, B)"; the summary says "(+N more)" itself.</summary>
    private static string StripMore(string message)
    {
        var at = message.LastIndexOf(" (and ", StringComparison.Ordinal);
        return at > 0 && message.EndsWith(')') ? message[..at] : message;
    }

    private static string OneLine(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
