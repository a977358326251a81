using System.Text;
using System.Text.Json;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Util;

namespace GuardDutyCoverage.Diagnosis;

/// <summary>Renders a <see cref="DiagnosisReport"/> as JSON, YAML or a table for people.</summary>
public static class ReportWriter
{
    public static string Json(DiagnosisReport report) =>
        JsonSerializer.Serialize(report, ReadableJson.DiagnosisReport) + "\n";

    /// <summary>JSON for people and jq: quotes and apostrophes in messages stay as they are (no \u0022).</summary>
    private static readonly DiagnosisJsonContext ReadableJson = new(new JsonSerializerOptions(DiagnosisJsonContext.Default.Options)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    public static string Yaml(DiagnosisReport report) =>
        YamlJson.Serialize(JsonSerializer.SerializeToNode(report, DiagnosisJsonContext.Default.DiagnosisReport));

    /// <summary>One line per finding with its severity and the steps below it; ANSI colour only when asked.</summary>
    public static string Table(DiagnosisReport report, bool color)
    {
        var palette = new Palette(color);
        var text = new StringBuilder();
        var region = report.Region is null ? "" : $" ({report.Region})";
        text.Append("Cluster:     ").Append(report.Cluster).Append(region).Append('\n');
        text.Append("Coverage:    ").Append(palette.Verdict(report.Coverage))
            .Append($"  (local {report.Local}, GuardDuty {report.GuardDuty.CoverageStatus}{(report.CrossCheck is null ? "" : $", cross-check {report.CrossCheck}")})\n");
        var progress = report.Readiness.Reconciling ? ", reconciling" : report.Readiness.Stalled ? ", stalled" : "";
        text.Append("Ready:       ").Append(report.Readiness.Ready).Append("  ").Append(report.Readiness.Reason).Append(progress).Append('\n');
        if (report.Agent is { } agent)
        {
            text.Append("Agents:      ").Append(agent.Summary).Append(" available");
            if (agent.Version is not null)
            {
                text.Append("  ").Append(agent.Version);
            }

            if (agent.Image is not null)
            {
                text.Append("  ").Append(agent.Image);
            }

            text.Append('\n');
        }

        var guardDuty = report.GuardDuty;
        text.Append("GuardDuty:   ").Append(guardDuty.CoverageStatus);
        if (guardDuty.Issue is { Length: > 0 } issue)
        {
            text.Append("  ").Append(OneLine(issue));
        }

        if (guardDuty.UpdatedAt is { } updated)
        {
            text.Append("  (updated ").Append(Checks.AwsChecks.Rfc(updated)).Append(')');
        }

        if (guardDuty.Reason is { } reason)
        {
            text.Append("  ").Append(reason);
        }

        text.Append('\n');

        text.Append('\n');
        if (report.Findings.Count == 0)
        {
            text.Append("No findings.\n");
        }
        else
        {
            var reasonWidth = report.Findings.Max(f => f.Reason.Length);
            var sourceWidth = report.Findings.Max(f => string.Join(",", f.Sources).Length);
            text.Append(palette.Bold($"{"SEVERITY",-8}  {"REASON".PadRight(reasonWidth)}  {"SOURCES".PadRight(sourceWidth)}  MESSAGE")).Append('\n');
            foreach (var finding in report.Findings)
            {
                text.Append(palette.Severity(finding.Severity, $"{finding.Severity.ToUpperInvariant(),-8}"))
                    .Append("  ").Append(finding.Reason.PadRight(reasonWidth))
                    .Append("  ").Append(string.Join(",", finding.Sources).PadRight(sourceWidth))
                    .Append("  ").Append(OneLine(finding.Message)).Append('\n');
                foreach (var step in finding.Remediation)
                {
                    var lines = step.Split('\n');
                    text.Append("          - ").Append(lines[0]).Append('\n');
                    foreach (var line in lines.Skip(1))
                    {
                        text.Append("            ").Append(line).Append('\n');
                    }
                }
            }
        }

        text.Append('\n');
        var typeWidth = report.Checks.Count == 0 ? 5 : report.Checks.Max(c => c.Type.Length);
        text.Append(palette.Bold($"{"CHECK".PadRight(typeWidth)}  {"STATUS",-7}  REASON")).Append('\n');
        foreach (var check in report.Checks)
        {
            text.Append(check.Type.PadRight(typeWidth)).Append("  ").Append(palette.Status(check.Status, $"{check.Status,-7}")).Append("  ").Append(check.Reason).Append('\n');
        }

        if (report.InputErrors.Count > 0)
        {
            text.Append('\n').Append(palette.Bold("Input errors (these files were skipped):")).Append('\n');
            foreach (var error in report.InputErrors)
            {
                text.Append("  ").Append(error.File).Append(": ").Append(OneLine(error.Message)).Append('\n');
            }
        }

        return text.ToString();
    }

    private static string OneLine(string text) => text.Replace("\r", " ", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    private readonly struct Palette(bool enabled)
    {
        private const string Reset = "\u001b[0m";

        public string Bold(string text) => Wrap("\u001b[1m", text);

        public string Severity(string severity, string text) => severity switch
        {
            "Error" => Wrap("\u001b[31m", text),
            "Warning" => Wrap("\u001b[33m", text),
            _ => Wrap("\u001b[36m", text),
        };

        public string Verdict(string verdict) => verdict switch
        {
            Verdicts.Healthy => Wrap("\u001b[32m", verdict),
            Verdicts.Unhealthy => Wrap("\u001b[31m", verdict),
            _ => Wrap("\u001b[33m", verdict),
        };

        public string Status(string status, string text) => status switch
        {
            ConditionStatus.True => Wrap("\u001b[32m", text),
            ConditionStatus.False => Wrap("\u001b[31m", text),
            _ => Wrap("\u001b[33m", text),
        };

        private string Wrap(string code, string text) => enabled ? code + text + Reset : text;
    }
}
