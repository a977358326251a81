using System.Text.Json.Nodes;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Controller;
using GuardDutyCoverage.Diagnosis;
using k8s.Models;
using DiagnosisSnapshots = GuardDutyCoverage.Tests.Diagnosis.SnapshotBuilder;

namespace GuardDutyCoverage.Tests.Signals;

/// <summary>Notifications in GuardDuty's Runtime Protection event schema (guardduty-eks-facts.md, "EventBridge notification").</summary>
public sealed class CoverageEventTests
{
    /// <summary>The keys of GuardDuty's sample event (COVERAGE doc), envelope and detail.</summary>
    private static readonly string[] EnvelopeKeys = ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"];
    private static readonly string[] DetailKeys = ["schemaVersion", "resourceAccountId", "currentStatus", "previousStatus", "resourceDetails", "issue", "lastUpdatedAt"];
    private static readonly string[] EksKeys = ["clusterName", "availableNodes", "desiredNodes", "addonVersion"];

    private static V1Alpha1GuardDutyCoverage Coverage() => new()
    {
        Metadata = new V1ObjectMeta { Name = "prod" },
        Spec = new GuardDutyCoverageSpec { ClusterName = DiagnosisSnapshots.Cluster },
    };

    private static GuardDutyCoverageStatus UnhealthyStatus()
    {
        var builder = new DiagnosisSnapshots { PriorityClass = null };
        builder.DaemonSet!.Status.NumberAvailable = 2;
        return StatusComposer.FromReport(builder.Diagnose(), null, 1, DiagnosisSnapshots.Now);
    }

    [Fact]
    public void AnUnhealthyChangeHasGuardDutysShapeTheOperatorsSourceAndTheExtension()
    {
        var status = UnhealthyStatus();
        var e = GuardDutyEventBuilder.Build(Coverage(), "Healthy", status, new CoverageEventOrigin("111122223333", "us-east-1"), "6a7e8feb-b491-4cf7-a9f1-bf3703467718", DiagnosisSnapshots.Now)!;
        var json = JsonNode.Parse(GuardDutyEventBuilder.WebhookBody(e))!.AsObject();

        Assert.All(EnvelopeKeys, k => Assert.True(json.ContainsKey(k), $"no {k}"));
        Assert.Equal("GuardDuty Runtime Protection Unhealthy", (string)json["detail-type"]!);
        Assert.Equal("guardduty-coverage-operator", (string)json["source"]!);
        Assert.Equal("111122223333", (string)json["account"]!);
        Assert.Equal("2026-11-26T17:00:00Z", (string)json["time"]!);
        Assert.Equal("arn:aws:eks:us-east-1:111122223333:cluster/prod-eks-1", (string)json["resources"]![0]!);

        var detail = json["detail"]!.AsObject();
        Assert.All(DetailKeys, k => Assert.True(detail.ContainsKey(k), $"no detail.{k}"));
        Assert.Equal("1.0", (string)detail["schemaVersion"]!);
        Assert.Equal("UNHEALTHY", (string)detail["currentStatus"]!);
        Assert.Equal("HEALTHY", (string)detail["previousStatus"]!);
        Assert.Equal("EKS", (string)detail["resourceDetails"]!["resourceType"]!);
        var eks = detail["resourceDetails"]!["eksClusterDetails"]!.AsObject();
        Assert.All(EksKeys, k => Assert.True(eks.ContainsKey(k), $"no eksClusterDetails.{k}"));
        Assert.Equal("2", (string)eks["availableNodes"]!);
        Assert.Equal("3", (string)eks["desiredNodes"]!);
        var ready = status.Conditions.Find(ConditionTypes.Ready)!;
        Assert.Equal(ready.Message, (string)detail["issue"]!);

        var extension = detail["coverageOperator"]!;
        Assert.Equal(ready.Reason, (string)extension["reasonCode"]!);
        Assert.Equal("prod", (string)extension["name"]!);
        Assert.Equal(status.Summary, (string)extension["summary"]!);
        var findings = extension["findings"]!.AsArray();
        Assert.Equal(status.Findings!.Select(f => f.Reason), findings.Select(f => (string)f!["reason"]!));
        Assert.All(findings, f => Assert.NotEmpty(f!["steps"]!.AsArray()));

        // EventBridge gets the detail alone; it writes the envelope itself.
        var eventBridgeDetail = JsonNode.Parse(GuardDutyEventBuilder.EventBridgeDetail(e))!;
        Assert.True(JsonNode.DeepEquals(detail, eventBridgeDetail));
    }

    [Fact]
    public void AHealthyChangeHasTheHealthyDetailTypeAndNoIssue()
    {
        var status = StatusComposer.FromReport(new DiagnosisSnapshots().Diagnose(), null, 1, DiagnosisSnapshots.Now);
        var e = GuardDutyEventBuilder.Build(Coverage(), "Unhealthy", status, new CoverageEventOrigin(null, null), "id-1", DiagnosisSnapshots.Now)!;
        Assert.Equal(GuardDutyEventBuilder.HealthyDetailType, e.DetailType);
        Assert.Equal("HEALTHY", e.Detail.CurrentStatus);
        Assert.Equal("UNHEALTHY", e.Detail.PreviousStatus);
        Assert.Equal("", e.Detail.Issue);
        Assert.Equal("CoverageHealthy", e.Detail.CoverageOperator.ReasonCode);
        Assert.Empty(e.Resources);
        var json = JsonNode.Parse(GuardDutyEventBuilder.WebhookBody(e))!.AsObject();
        Assert.False(json.ContainsKey("account"), "an unknown account is left out, not invented");
    }

    [Fact]
    public void UnknownIsNotAnEvent()
    {
        var status = new GuardDutyCoverageStatus { Coverage = "Unknown" };
        Assert.Null(GuardDutyEventBuilder.Build(Coverage(), "Healthy", status, new CoverageEventOrigin(null, null), "id", DiagnosisSnapshots.Now));
    }

    [Fact]
    public void AnEventBridgeRuleForGuardDutysEksEventsMatchesOnceTheSourceIsAdded()
    {
        // The documented pattern for GuardDuty's EKS events, with our source added: the fields it tests are present.
        var e = GuardDutyEventBuilder.Build(Coverage(), "Healthy", UnhealthyStatus(), new CoverageEventOrigin(null, "us-east-1"), "id", DiagnosisSnapshots.Now)!;
        var json = JsonNode.Parse(GuardDutyEventBuilder.WebhookBody(e))!;
        Assert.Contains((string)json["detail-type"]!, new[] { "GuardDuty Runtime Protection Unhealthy", "GuardDuty Runtime Protection Healthy" });
        Assert.Equal("EKS", (string)json["detail"]!["resourceDetails"]!["resourceType"]!);
        Assert.Contains((string)json["source"]!, new[] { "aws.guardduty", GuardDutyEventBuilder.Source });
    }
}
