using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GuardDutyCoverage.Tests.Docs;
using GuardDutyCoverage.Util;

namespace GuardDutyCoverage.Tests.Deploy;

/// <summary>
/// The alert rules (config/prometheus/rules.yaml, equal to the chart's) and the Grafana dashboard: promtool's own
/// check and unit tests pass, every alert has a runbook section in docs/troubleshooting.md, and every query uses a
/// metric the operator exports (the names registered in operator/, not a list kept by hand).
/// </summary>
public sealed partial class AlertsAndDashboardTests
{
    private static readonly string RulesFile = Path.Combine(RepoPaths.Root, "config", "prometheus", "rules.yaml");
    private static readonly string RulesTestFile = Path.Combine(RepoPaths.Root, "config", "prometheus", "tests", "alerts-test.yaml");
    private static readonly string ChartDashboard = Path.Combine(Chart.Dir, "dashboards", "guardduty-coverage.json");
    private static readonly string ConfigDashboard = Path.Combine(RepoPaths.Root, "config", "grafana", "guardduty-coverage.json");

    /// <summary>Series Prometheus makes itself for every scrape target.</summary>
    private static readonly string[] ScrapeSeries = ["up"];

    private static JsonArray Rules() => YamlJson.Parse(File.ReadAllText(RulesFile))!["spec"]!["groups"]![0]!["rules"]!.AsArray();

    private static JsonObject Dashboard() => JsonNode.Parse(File.ReadAllText(ChartDashboard))!.AsObject();

    /// <summary>Metric names the operator registers (histograms also as _bucket, _sum and _count).</summary>
    private static HashSet<string> Exported()
    {
        var names = new HashSet<string>(ScrapeSeries, StringComparer.Ordinal);
        foreach (var file in RepoPaths.OperatorSources())
        {
            foreach (Match m in Registration().Matches(File.ReadAllText(file)))
            {
                var name = m.Groups["name"].Value;
                names.Add(name);
                if (m.Groups["kind"].Value == "Histogram")
                {
                    names.UnionWith([name + "_bucket", name + "_sum", name + "_count"]);
                }
            }
        }

        Assert.Contains("guardduty_coverage_state", names);
        Assert.Contains("controller_runtime_reconcile_time_seconds_bucket", names);
        return names;
    }

    /// <summary>The metric names a PromQL expression selects.</summary>
    private static List<string> MetricsIn(string expr) =>
        Selector().Matches(expr).Select(m => m.Groups["name"].Value)
            .Concat(LabelValues().Matches(expr).Select(m => m.Groups["name"].Value))
            .Distinct()
            .ToList();

    [PromtoolFact]
    public async Task PromtoolChecksTheRulesAndRunsTheirUnitTests()
    {
        using var dir = new TempDirectory();
        // promtool reads Prometheus rule files: the PrometheusRule's spec is one (JSON is YAML).
        await File.WriteAllTextAsync(Path.Combine(dir.Path, "rules.yaml"), YamlJson.Parse(File.ReadAllText(RulesFile))!["spec"]!.ToJsonString());
        File.Copy(RulesTestFile, Path.Combine(dir.Path, "alerts-test.yaml"));
        var promtool = DeployTools.Require("promtool", DeployTools.Promtool, "hack/install-tools.sh promtool");

        var check = (await DeployTools.RunAsync(promtool, ["check", "rules", "rules.yaml"], workingDirectory: dir.Path)).Ok("promtool check rules");
        Assert.Contains($"SUCCESS: {Rules().Count} rules found", check, StringComparison.Ordinal);

        var test = (await DeployTools.RunAsync(promtool, ["test", "rules", "alerts-test.yaml"], workingDirectory: dir.Path)).Ok("promtool test rules");
        Assert.Contains("SUCCESS", test, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryAlertIsUnitTestedFiringAndNotFiring()
    {
        var tests = YamlJson.Parse(File.ReadAllText(RulesTestFile))!["tests"]!.AsArray()
            .SelectMany(t => t!["alert_rule_test"]!.AsArray())
            .GroupBy(t => (string)t!["alertname"]!)
            .ToDictionary(g => g.Key, g => g.ToList());
        var alerts = Rules().Select(r => (string)r!["alert"]!).ToList();
        Assert.Equal(10, alerts.Count);
        Assert.Equal(alerts.Order(StringComparer.Ordinal), tests.Keys.Order(StringComparer.Ordinal));
        foreach (var (alert, cases) in tests)
        {
            Assert.True(cases.Any(c => c!["exp_alerts"]!.AsArray().Count == 0), $"{alert}: no case where it must not fire");
            Assert.True(cases.Any(c => c!["exp_alerts"]!.AsArray().Count > 0), $"{alert}: no case where it must fire");
        }
    }

    [Fact]
    public void EveryAlertLinksItsRunbookInTroubleshooting()
    {
        var anchors = DocPage.Load("troubleshooting.md").Anchors();
        foreach (var rule in Rules())
        {
            var alert = (string)rule!["alert"]!;
            var url = (string?)rule["annotations"]!["runbook_url"];
            Assert.True(url is not null, $"{alert} has no runbook_url");
            var hash = url.IndexOf('#', StringComparison.Ordinal);
            Assert.EndsWith("/docs/troubleshooting.md", url[..hash], StringComparison.Ordinal);
            var anchor = url[(hash + 1)..];
            Assert.Equal(DocPage.Slug(alert), anchor);
            Assert.True(anchors.Contains(anchor), $"docs/troubleshooting.md has no section {alert} (#{anchor})");
        }
    }

    [Fact]
    public void EveryAlertAndPanelQueryUsesAMetricTheOperatorExports()
    {
        var exported = Exported();
        var queries = Rules().Select(r => ((string)r!["alert"]!, (string)r["expr"]!))
            .Concat(Dashboard()["panels"]!.AsArray().SelectMany(p => p!["targets"]!.AsArray().Select(t => ((string)p["title"]!, (string)t!["expr"]!))))
            .Concat(Dashboard()["templating"]!["list"]!.AsArray().Where(v => v!["query"] is JsonValue q && ((string)q!).Contains('(')).Select(v => ((string)v!["name"]!, (string)v["query"]!)))
            .ToList();
        Assert.True(queries.Count >= 20, $"only {queries.Count} queries found");
        foreach (var (what, expr) in queries)
        {
            var metrics = MetricsIn(expr);
            Assert.True(metrics.Count > 0, $"{what}: no metric found in {expr}");
            var unknown = metrics.Where(m => !exported.Contains(m)).ToList();
            Assert.True(unknown.Count == 0, $"{what} uses {string.Join(", ", unknown)}, which the operator does not export: {expr}");
        }
    }

    [Fact]
    public void TheDashboardCoversWhatPeopleAskAndIsTheSameInTheChartAndConfig()
    {
        Assert.Equal(File.ReadAllText(ChartDashboard), File.ReadAllText(ConfigDashboard));
        var titles = Dashboard()["panels"]!.AsArray().Select(p => (string)p!["title"]!).ToList();
        foreach (var topic in new[] { "Coverage per", "Findings by reason", "with and without an available agent", "Detection latency", "Reconcile duration p99", "re-lists", "AWS call errors" })
        {
            Assert.True(titles.Any(t => t.Contains(topic, StringComparison.OrdinalIgnoreCase)), $"no panel about \"{topic}\": {string.Join(" | ", titles)}");
        }

        var ids = Dashboard()["panels"]!.AsArray().Select(p => (int)p!["id"]!).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(Dashboard()["panels"]!.AsArray(), p => Assert.Contains("$namespace", p!["targets"]![0]!["expr"]!.ToString(), StringComparison.Ordinal));
    }

    [HelmFact]
    public async Task TheChartShipsTheDashboardOnlyWhenAskedWithTheSidecarLabel()
    {
        Assert.DoesNotContain((await Chart.RenderAsync("--set", "metrics.enabled=true")).OfKind("ConfigMap"), c => c["data"]?["guardduty-coverage.json"] is not null);
        var configMap = (await Chart.RenderAsync("--set", "grafanaDashboard.enabled=true")).OfKind("ConfigMap").Single(c => c["data"]?["guardduty-coverage.json"] is not null);
        Assert.Equal("1", (string)configMap["metadata"]!["labels"]!["grafana_dashboard"]!);
        Assert.True(JsonNode.DeepEquals(Dashboard(), JsonNode.Parse((string)configMap["data"]!["guardduty-coverage.json"]!)));
    }

    [GeneratedRegex(@"\.(?<kind>Gauge|Counter|Histogram)\(\s*""(?<name>[a-z_:][a-z0-9_:]*)""")]
    private static partial Regex Registration();

    [GeneratedRegex(@"(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{")]
    private static partial Regex Selector();

    [GeneratedRegex(@"label_values\(\s*(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)")]
    private static partial Regex LabelValues();
}
