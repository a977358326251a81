using System.Globalization;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Aws.Model;
using GuardDutyCoverage.Cli;
using GuardDutyCoverage.Diagnosis;

namespace GuardDutyCoverage.Tests.Cli;

/// <summary><c>coverage stats</c> and the status compute the coverage percentage with one formula: healthy ÷ all × 100.</summary>
public sealed class CoveragePercentTests
{
    [Theory]
    [InlineData(2, 3, 66.67, "66.67")]
    [InlineData(3, 4, 75.0, "75")]
    [InlineData(1, 3, 33.33, "33.33")]
    [InlineData(5, 5, 100.0, "100")]
    [InlineData(0, 7, 0.0, "0")]
    public void TheFormulaRoundsToTwoDecimals(long healthy, long all, double percent, string written)
    {
        Assert.Equal(percent, CoveragePercent.Of(healthy, all));
        Assert.Equal(written, CoveragePercent.Format(healthy, all));
    }

    [Fact]
    public void NothingToCoverHasNoPercentage()
    {
        Assert.Null(CoveragePercent.Of(0, 0));
        Assert.Null(CoveragePercent.Format(0, 0));
    }

    [Fact]
    public async Task CoverageStatsAndTheStatusAgreeOnTheSameCounts()
    {
        // The bundle: GuardDuty HEALTHY with 2 of 3 compatible nodes covered; 3 eligible nodes, 3 with an agent.
        var loaded = await new BundleSnapshotSource(RepoPaths.TestData("bundles", "coverage-healthy-but-nodes-uncovered"))
            .LoadAsync(new SnapshotRequest(null, null, new DateTimeOffset(2026, 11, 26, 17, 0, 0, TimeSpan.Zero)), CancellationToken.None);
        var report = DiagnosisEngine.Diagnose(loaded.Snapshot!, loaded.Options);
        var guardDuty = report.ToGuardDutyStatus();
        var nodes = report.ToNodesStatus()!;
        Assert.Equal(2, guardDuty.CoveredNodes);
        Assert.Equal(3, guardDuty.CompatibleNodes);

        // The same counts as GuardDuty's statistics: 2 HEALTHY, 1 UNHEALTHY.
        var stats = CoverageReport.From("COUNT_BY_COVERAGE_STATUS", new CoverageStatistics
        {
            CountByCoverageStatus = new Dictionary<string, long> { ["HEALTHY"] = guardDuty.CoveredNodes!.Value, ["UNHEALTHY"] = guardDuty.CompatibleNodes!.Value - guardDuty.CoveredNodes.Value },
        });
        Assert.Equal(66.67, stats.CoveragePercent);
        Assert.Equal(stats.CoveragePercent, double.Parse(guardDuty.Percent!, CultureInfo.InvariantCulture));

        var nodeStats = CoverageReport.From("COUNT_BY_COVERAGE_STATUS", new CoverageStatistics
        {
            CountByCoverageStatus = new Dictionary<string, long> { ["HEALTHY"] = nodes.WithAgent!.Value, ["UNHEALTHY"] = nodes.Eligible!.Value - nodes.WithAgent.Value },
        });
        Assert.Equal(nodeStats.CoveragePercent, double.Parse(nodes.Percent!, CultureInfo.InvariantCulture));
        Assert.Equal("100", nodes.Percent);
    }
}
