using System.Text;
using GuardDutyCoverage.Diagnosis.Checks;

namespace GuardDutyCoverage.Diagnosis;

/// <summary>
/// Writes the parts of the docs that repeat the catalog and the conditions (<c>make docs</c>): a page keeps its own
/// prose and marks each generated region with <c>&lt;!-- BEGIN GENERATED name --&gt;</c> ...
/// <c>&lt;!-- END GENERATED name --&gt;</c>; <see cref="Regenerate"/> rewrites what is between the markers and
/// nothing else. The rows (<see cref="Catalog.Entries"/>) and the condition checks (<see cref="ConditionChecks.All"/>)
/// are the single source: a test fails when a committed page differs from what this writes.
/// </summary>
public static class CatalogDocs
{
    /// <summary>The pages (relative to the repository root) that hold generated regions.</summary>
    public static IReadOnlyList<string> Pages { get; } = ["docs/troubleshooting.md", "operator/Diagnosis/README.md"];

    private const string BeginPrefix = "<!-- BEGIN GENERATED ";
    private const string EndPrefix = "<!-- END GENERATED ";
    private const string MarkerSuffix = " -->";

    /// <summary>The regions a page may hold, by name.</summary>
    private static readonly IReadOnlyDictionary<string, Func<string>> Regions = new Dictionary<string, Func<string>>(StringComparer.Ordinal)
    {
        ["reason-codes"] = ReasonCodeSections,
        ["condition-table"] = ConditionTable,
        ["diagnosis-checks"] = DiagnosisChecksTable,
    };

    /// <summary>The page with every generated region rewritten; an unknown or unterminated region is an error, not a guess.</summary>
    public static string Regenerate(string page)
    {
        var lines = page.Split('\n');
        var output = new StringBuilder();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            output.Append(line);
            if (i < lines.Length - 1)
            {
                output.Append('\n');
            }

            if (!line.StartsWith(BeginPrefix, StringComparison.Ordinal) || !line.EndsWith(MarkerSuffix, StringComparison.Ordinal))
            {
                continue;
            }

            var name = line[BeginPrefix.Length..^MarkerSuffix.Length].Trim();
            if (!Regions.TryGetValue(name, out var render))
            {
                throw new FormatException($"line {i + 1}: unknown generated region \"{name}\" (known: {string.Join(", ", Regions.Keys)})");
            }

            var end = EndPrefix + name + MarkerSuffix;
            var close = Array.IndexOf(lines, end, i + 1);
            if (close < 0)
            {
                throw new FormatException($"line {i + 1}: generated region \"{name}\" has no \"{end}\"");
            }

            output.Append(render());
            output.Append(end);
            if (close < lines.Length - 1)
            {
                output.Append('\n');
            }

            i = close;
        }

        return output.ToString();
    }

    /// <summary>The index table of every reason code, then one section per code, in the catalog's order.</summary>
    public static string ReasonCodeSections()
    {
        var text = new StringBuilder();
        text.Append('\n');
        text.Append("| reason | severity | check | seen by |\n");
        text.Append("| --- | --- | --- | --- |\n");
        foreach (var entry in Catalog.Entries)
        {
            text.Append($"| [`{entry.Reason}`](#{entry.Reason}) | {entry.Severity} | `{entry.Check}` | {string.Join(", ", entry.Sources)} |\n");
        }

        foreach (var entry in Catalog.Entries)
        {
            text.Append('\n');
            AppendSection(text, entry);
        }

        text.Append('\n');
        return text.ToString();
    }

    private static void AppendSection(StringBuilder text, CatalogEntry entry)
    {
        var doc = entry.Doc;
        text.Append($"<a id=\"{entry.Reason}\"></a>\n\n");
        text.Append($"### {entry.Reason}\n\n");
        text.Append(doc is null || doc.Details.Length == 0 ? entry.Summary : $"{entry.Summary} {doc.Details}").Append("\n\n");
        text.Append($"- **Severity:** {entry.Severity}\n");
        text.Append($"- **Check:** `{entry.Check}`\n");
        text.Append("- **Seen by:**").Append(entry.Sources.Count == 0 ? "" : " " + string.Join(", ", entry.Sources)).Append('\n');
        text.Append("- **GuardDuty reports:** ").Append(entry.GuardDutyIssue is { } issue ? $"`{issue}`"
            : entry.Check == Catalog.ReadinessOnlyCheck ? "none (it is the operator's own state)"
            : "none (GuardDuty has no issue string for it)").Append('\n');
        text.Append("- **EKS add-on issue codes:** ").Append(entry.AddonIssueCodes.Count == 0 ? "none" : string.Join(", ", entry.AddonIssueCodes.Select(c => $"`{c}`"))).Append('\n');
        text.Append("- **Auto-fix:** ").Append(AutoFixText(entry.AutoFix)).Append('\n');
        text.Append("- **In the seed catalog:** ").Append((doc?.Origin ?? CatalogOrigin.Proposed) switch
        {
            CatalogOrigin.Seed => "yes",
            CatalogOrigin.CatalogV2 => "no: a proposed addition to `CATALOG.md` (catalog v2, from the real-world failure modes)",
            _ => "no: a proposed addition to `CATALOG.md`, beyond the seed's troubleshooting table",
        }).Append("\n\n");

        text.Append("How it is seen:\n\n");
        foreach (var sighting in doc?.SeenBy ?? [])
        {
            text.Append($"- **{sighting.Label}:** {sighting.How}\n");
        }

        text.Append("\nSteps:\n\n```text\n");
        // An empty context renders every placeholder as <name>, the way the page explains them.
        var render = new RemediationContext();
        foreach (var step in entry.Steps)
        {
            var lines = render.Render(step).Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                text.Append(i == 0 ? "- " : "  ").Append(lines[i]).Append('\n');
            }
        }

        text.Append("```\n");
    }

    /// <summary>What each safe auto-fix does, as the reason sections state it.</summary>
    public static string AutoFixText(AutoFix fix) => fix switch
    {
        AutoFix.None => "none",
        AutoFix.CreateAddonClusterAdminBinding =>
            "`CreateAddonClusterAdminBinding`: creates the `eks:addon-cluster-admin` ClusterRoleBinding shown in the steps (labelled `app.kubernetes.io/managed-by: guardduty-coverage-operator`), only when it does not exist. [How to enable it](#safe-auto-fixes).",
        AutoFix.LabelAgentNamespace =>
            "`LabelAgentNamespace`: adds the required label, with the value `guardduty-coverage-operator`, to the agent namespace, only when the label's name could be read from the denial and the namespace lacks it. [How to enable it](#safe-auto-fixes).",
        AutoFix.UpdateAddonOverwrite =>
            "`UpdateAddonOverwrite` (EKS `UpdateAddon` with `resolveConflicts=OVERWRITE`): the catalog marks it safe with AWS write access and an explicit opt-in, but this version never calls it on its own, even with `remediation.mode: Apply`: run the command in the steps. [Details](#safe-auto-fixes).",
        _ => throw new ArgumentOutOfRangeException(nameof(fix), fix, "an auto-fix without a description"),
    };

    /// <summary>The troubleshooting page's table of the conditions: one row per check, with its reasons and codes.</summary>
    public static string ConditionTable()
    {
        var text = new StringBuilder();
        text.Append('\n');
        text.Append("| check (condition type) | reads | `True` reasons | `Unknown` reasons | reason codes |\n");
        text.Append("| --- | --- | --- | --- | --- |\n");
        foreach (var check in ConditionChecks.All)
        {
            var condition = check.Condition;
            var codes = string.Join(", ", Catalog.Entries.Where(e => e.Check == condition.Type).Select(e => $"[`{e.Reason}`](#{e.Reason})"));
            text.Append($"| `{condition.Type}` | {condition.Reads} | {condition.TrueReasons} | {Spans(condition.UnknownReasons)} | ")
                .Append(condition.CodesPreamble).Append(codes).Append(condition.CodesSuffix).Append(" |\n");
        }

        text.Append('\n');
        return text.ToString();
    }

    /// <summary>operator/Diagnosis/README.md's table of the checks: what each reads and its catalog rows.</summary>
    public static string DiagnosisChecksTable()
    {
        var text = new StringBuilder();
        text.Append('\n');
        text.Append("| check (condition type) | file | reads | catalog rows |\n");
        text.Append("| --- | --- | --- | --- |\n");
        foreach (var check in ConditionChecks.All)
        {
            var condition = check.Condition;
            text.Append($"| `{condition.Type}` | [`Checks/{check.GetType().Name}.cs`](Checks/{check.GetType().Name}.cs) | {condition.Reads} | ")
                .Append(string.Join(", ", Catalog.Entries.Where(e => e.Check == condition.Type).Select(e => e.Reason))).Append(" |\n");
        }

        text.Append('\n');
        return text.ToString();
    }

    private static string Spans(IEnumerable<string> reasons) => string.Join(", ", reasons.Select(r => $"`{r}`"));
}
