using GuardDutyCoverage.Api;
using GuardDutyCoverage.Controller;
using GuardDutyCoverage.Diagnosis;
using DiagnosisSnapshots = GuardDutyCoverage.Tests.Diagnosis.SnapshotBuilder;

namespace GuardDutyCoverage.Tests.Signals;

/// <summary>The MESSAGE column: one line of at most 120 characters, the top cause and how many more.</summary>
public sealed class StatusSummaryTests
{
    private const string LongIssue =
        "VPC Endpoint Creation Failed: Enabling private DNS requires both `enableDnsSupport` and `enableDnsHostnames` VPC attributes set to `true` for vpc-0a1b2c3d4e5f60718 (Service: Ec2, Status Code:400, Request ID: a1b2c3d4-5678-90ab-cdef-EXAMPLE11111).";

    [Fact]
    public void SeveralLongFindingsGiveOneShortLineNamingTheTopCauseAndHowManyMore()
    {
        var builder = new DiagnosisSnapshots { PriorityClass = null, Bindings = [] };
        builder.GuardDutyIssue(LongIssue);
        builder.DaemonSet!.Status.NumberAvailable = 1;
        var report = builder.Diagnose();
        var status = StatusComposer.FromReport(report, null, 1, DiagnosisSnapshots.Now);
        var ready = status.Conditions.Find(ConditionTypes.Ready)!;

        Assert.True(ready.Message.Length > StatusSummary.MaxLength, "the test needs a Ready message longer than the column");
        var summary = status.Summary!;
        Assert.True(summary.Length <= StatusSummary.MaxLength, summary);
        Assert.DoesNotContain('\n', summary);
        Assert.StartsWith(ready.Reason + ": ", summary, StringComparison.Ordinal);
        var others = status.Findings!.Count(f => f.Reason != ready.Reason && f.Severity != "Info");
        Assert.True(others >= 2);
        Assert.EndsWith($" (+{others} more)", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void AShortMessageIsKeptWhole()
    {
        var report = new DiagnosisSnapshots().Diagnose();
        var status = StatusComposer.FromReport(report, null, 1, DiagnosisSnapshots.Now);
        var ready = status.Conditions.Find(ConditionTypes.Ready)!;
        Assert.Equal($"CoverageHealthy: {ready.Message}", status.Summary);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(12345)]
    public void TruncationKeepsTheCountAndTheLimit(int more)
    {
        var line = StatusSummary.Compose(ReasonCodes.AgentPodsCrashLooping, new string('x', 500) + "\nsecond line", more);
        Assert.True(line.Length <= StatusSummary.MaxLength, line);
        Assert.Equal(StatusSummary.MaxLength, line.Length);
        Assert.DoesNotContain('\n', line);
        Assert.Contains("...", line, StringComparison.Ordinal);
        Assert.Equal(more > 0, line.EndsWith($" (+{more} more)", StringComparison.Ordinal));
    }

    [Fact]
    public void AnInvalidSpecSummaryNamesTheFirstProblem()
    {
        var status = StatusComposer.InvalidSpec(["spec.interval \"1s\" is shorter than the minimum of 1m", "spec.agent.namespace is not watched"], null, 2, DiagnosisSnapshots.Now);
        Assert.Equal("InvalidSpec: spec.interval \"1s\" is shorter than the minimum of 1m (+1 more)", status.Summary);
    }

    [Fact]
    public void TheMessageColumnShowsTheSummary()
    {
        var crd = CrdGenerator.Generate();
        var columns = crd["spec"]!["versions"]![0]!["additionalPrinterColumns"]!.AsArray();
        var message = columns.Single(c => (string)c!["name"]! == "Message")!;
        Assert.Equal(".status.summary", (string)message["jsonPath"]!);
    }
}
