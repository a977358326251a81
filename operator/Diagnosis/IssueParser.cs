using System.Text;

namespace GuardDutyCoverage.Diagnosis;

/// <summary>What an issue string (GuardDuty) or an add-on issue (EKS) means.</summary>
/// <param name="Reason">The catalog reason; <see cref="ReasonCodes.UnrecognizedIssue"/> when nothing matched.</param>
/// <param name="IssueType">GuardDuty's issue type as written (trimmed), or null for EKS add-on issues.</param>
/// <param name="ExtraInformation">GuardDuty's extra information (trimmed), or null when absent.</param>
/// <param name="AddonIssueCode">The EKS AddonIssueCode found, e.g. InsufficientNumberOfReplicas.</param>
/// <param name="AddonIssueMessage">The add-on issue's message, back-ticks removed.</param>
/// <param name="Raw">The input, verbatim.</param>
public sealed record ParsedIssue(
    string Reason,
    string? IssueType,
    string? ExtraInformation,
    string? AddonIssueCode,
    string? AddonIssueMessage,
    string Raw);

/// <summary>
/// Parses GuardDuty coverage issue strings (<c>Issue type:Extra information</c>) and EKS add-on issues with the
/// catalog's grammar. Never throws: whatever matches nothing is <see cref="ReasonCodes.UnrecognizedIssue"/>, kept verbatim.
/// </summary>
public static class IssueParser
{
    /// <summary>Longer issue strings are matched on their first part only; the raw text is still kept whole.</summary>
    public const int MaxMatchedLength = 16 * 1024;

    public static ParsedIssue ParseGuardDutyIssue(string? issue)
    {
        var raw = issue ?? "";
        var text = Clean(raw);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var type = (colon < 0 ? text : text[..colon]).Trim();
        var extra = colon < 0 ? null : text[(colon + 1)..].Trim();
        var normalizedType = Normalize(type);

        if (Catalog.SafeIsMatch(Catalog.AuthorizationFailurePattern, text))
        {
            return new ParsedIssue(ReasonCodes.AuthorizationFailure, type, extra, null, null, raw);
        }

        foreach (var rule in Catalog.IssueTypeRules)
        {
            if (rule.NormalizedTypes.Contains(normalizedType) && (rule.ExtraInformation is null || Catalog.SafeIsMatch(rule.ExtraInformation, extra ?? "")))
            {
                return new ParsedIssue(rule.Reason, type, extra, null, null, raw);
            }
        }

        // The add-on issue is recognised wherever it appears: real strings may deviate from the documented layout.
        var addon = MatchAddonIssue(text);
        if (addon is { } found)
        {
            return new ParsedIssue(ClassifyAddonIssueCore(found.Code, found.Message), type, extra, found.Code, found.Message, raw);
        }

        return new ParsedIssue(ReasonCodes.UnrecognizedIssue, type, extra, null, null, raw);
    }

    /// <summary>One entry of EKS <c>addon.health.issues[]</c>, through the same table.</summary>
    public static ParsedIssue ParseAddonIssue(string? code, string? message)
    {
        var cleanCode = Clean(code ?? "").Trim();
        var cleanMessage = Clean(message ?? "").Trim();
        var reason = ClassifyAddonIssueCore(cleanCode, cleanMessage);
        return new ParsedIssue(reason, null, null, cleanCode.Length == 0 ? null : cleanCode, cleanMessage, message ?? "");
    }

    private static string ClassifyAddonIssueCore(string code, string message)
    {
        foreach (var rule in Catalog.AddonIssueRules)
        {
            if (string.Equals(rule.Code, code, StringComparison.OrdinalIgnoreCase) && (rule.Message is null || Catalog.SafeIsMatch(rule.Message, message)))
            {
                return rule.Reason;
            }
        }

        // A known code whose message fits no specific row, or a code EKS added later: still an add-on issue.
        return code.Length > 0 && code.All(char.IsAsciiLetterOrDigit) ? ReasonCodes.AddonIssueOther : ReasonCodes.UnrecognizedIssue;
    }

    private static (string Code, string Message)? MatchAddonIssue(string text) =>
        Catalog.SafeMatch(Catalog.AddonIssuePattern, text) is { } match ? (match.Groups[1].Value, match.Groups[2].Value.Trim()) : null;

    /// <summary>Back-ticks are documentation formatting; CR/LF become spaces; only the first <see cref="MaxMatchedLength"/> characters are matched.</summary>
    private static string Clean(string text)
    {
        var span = text.AsSpan(0, Math.Min(text.Length, MaxMatchedLength));
        var builder = new StringBuilder(span.Length);
        foreach (var c in span)
        {
            switch (c)
            {
                case '`':
                    break;
                case '\r' or '\n' or '\t':
                    builder.Append(' ');
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }

        return builder.ToString();
    }

    /// <summary>Issue types are compared without white space and case: "Addon Updation Failed" = "AddonUpdationFailed".</summary>
    internal static string Normalize(string type)
    {
        var builder = new StringBuilder(type.Length);
        foreach (var c in type)
        {
            if (!char.IsWhiteSpace(c))
            {
                builder.Append(char.ToLowerInvariant(c));
            }
        }

        return builder.ToString();
    }
}
