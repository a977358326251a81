using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using GuardDutyCoverage.Api;

namespace GuardDutyCoverage.Controller;

/// <summary>
/// A coverage change in the shape of GuardDuty's own EventBridge event (detail-type "GuardDuty Runtime Protection
/// Unhealthy" / "Healthy", <c>detail</c> with schemaVersion, currentStatus, previousStatus, resourceDetails...), so
/// rules, chat and SIEM set up for GuardDuty's events match it; its <c>source</c> is the operator's own, so a rule can
/// match either or both. <see cref="Text"/> is one line for chat webhooks (Slack's shows it); EventBridge gets no text.
/// </summary>
public sealed record CoverageEvent
{
    [JsonPropertyName("version")]
    public string Version { get; init; } = "0";

    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("detail-type")]
    public required string DetailType { get; init; }

    [JsonPropertyName("source")]
    public string Source { get; init; } = GuardDutyEventBuilder.Source;

    [JsonPropertyName("account")]
    public string? Account { get; init; }

    [JsonPropertyName("time")]
    public required DateTimeOffset Time { get; init; }

    [JsonPropertyName("region")]
    public string? Region { get; init; }

    [JsonPropertyName("resources")]
    public IReadOnlyList<string> Resources { get; init; } = [];

    [JsonPropertyName("detail")]
    public required RuntimeProtectionDetail Detail { get; init; }

    [JsonPropertyName("text")]
    public string? Text { get; init; }
}

/// <summary>GuardDuty's <c>detail</c> for Runtime Protection (schemaVersion 1.0), plus <see cref="CoverageOperator"/>.</summary>
public sealed record RuntimeProtectionDetail
{
    public string SchemaVersion { get; init; } = "1.0";

    public string? ResourceAccountId { get; init; }

    /// <summary>HEALTHY or UNHEALTHY, as GuardDuty's ListCoverage spells coverage statuses.</summary>
    public required string CurrentStatus { get; init; }

    public string? PreviousStatus { get; init; }

    public required RuntimeProtectionResourceDetails ResourceDetails { get; init; }

    /// <summary>Unhealthy: the top cause, as the Ready condition says it; Healthy: empty.</summary>
    public string Issue { get; init; } = "";

    public required DateTimeOffset LastUpdatedAt { get; init; }

    /// <summary>Not in GuardDuty's schema: what the operator adds (reason code, every finding with its steps).</summary>
    public required CoverageOperatorExtension CoverageOperator { get; init; }
}

public sealed record RuntimeProtectionResourceDetails
{
    public string ResourceType { get; init; } = "EKS";

    public required EksClusterEventDetails EksClusterDetails { get; init; }
}

/// <summary>GuardDuty's event carries node counts as strings.</summary>
public sealed record EksClusterEventDetails
{
    public required string ClusterName { get; init; }

    public string? AvailableNodes { get; init; }

    public string? DesiredNodes { get; init; }

    public string? AddonVersion { get; init; }
}

public sealed record CoverageOperatorExtension
{
    /// <summary>The GuardDutyCoverage's name.</summary>
    public required string Name { get; init; }

    /// <summary>The Ready condition's reason: a reason code of docs/troubleshooting.md (or CoverageHealthy).</summary>
    public required string ReasonCode { get; init; }

    public string? Ready { get; init; }

    public string? Summary { get; init; }

    public string? Coverage { get; init; }

    public string? PreviousCoverage { get; init; }

    public string? Local { get; init; }

    public string? GuardDutyCoverageStatus { get; init; }

    public string? CrossCheck { get; init; }

    public IReadOnlyList<CoverageEventFinding> Findings { get; init; } = [];
}

public sealed record CoverageEventFinding(string Reason, string Severity, IReadOnlyList<string> Sources, string Message, IReadOnlyList<string> Steps);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(Rfc3339TimeConverter)])]
[JsonSerializable(typeof(CoverageEvent))]
[JsonSerializable(typeof(RuntimeProtectionDetail))]
public sealed partial class CoverageEventJsonContext : JsonSerializerContext;

/// <summary>Where a coverage event comes from, beyond the CR: the AWS account and Region the operator resolved.</summary>
public sealed record CoverageEventOrigin(string? Account, string? Region);

/// <summary>Builds <see cref="CoverageEvent"/>s. Pure: ids and time are inputs.</summary>
public static class GuardDutyEventBuilder
{
    /// <summary>The <c>source</c> of every event (GuardDuty's own is <c>aws.guardduty</c>).</summary>
    public const string Source = "guardduty-coverage-operator";

    public const string UnhealthyDetailType = "GuardDuty Runtime Protection Unhealthy";
    public const string HealthyDetailType = "GuardDuty Runtime Protection Healthy";

    /// <summary>Null when the coverage verdict is neither Healthy nor Unhealthy (Unknown is not news).</summary>
    public static CoverageEvent? Build(V1Alpha1GuardDutyCoverage coverage, string? previousCoverage, GuardDutyCoverageStatus after, CoverageEventOrigin origin, string id, DateTimeOffset now)
    {
        var current = Status(after.Coverage);
        if (current is null)
        {
            return null;
        }

        var ready = after.Conditions.Find(ConditionTypes.Ready);
        var account = coverage.Spec.AccountId ?? origin.Account;
        var region = coverage.Spec.Region ?? origin.Region;
        var time = Rfc3339TimeConverter.Truncate(now);
        var unhealthy = current == "UNHEALTHY";
        var clusterArn = account is not null && region is not null
            ? $"arn:{Partition(region)}:eks:{region}:{account}:cluster/{coverage.Spec.ClusterName}"
            : null;
        return new CoverageEvent
        {
            Id = id,
            DetailType = unhealthy ? UnhealthyDetailType : HealthyDetailType,
            Account = account,
            Time = time,
            Region = region,
            Resources = clusterArn is null ? [] : [clusterArn],
            Text = $"GuardDutyCoverage {coverage.Metadata.Name} (cluster {coverage.Spec.ClusterName}): coverage {after.Coverage}"
                + (ready is null ? "" : after.Summary is { } summary ? $", Ready {ready.Status}: {summary}" : $", Ready {ready.Status} ({ready.Reason}): {ready.Message}"),
            Detail = new RuntimeProtectionDetail
            {
                ResourceAccountId = account,
                CurrentStatus = current,
                PreviousStatus = Status(previousCoverage),
                ResourceDetails = new RuntimeProtectionResourceDetails
                {
                    EksClusterDetails = new EksClusterEventDetails
                    {
                        ClusterName = coverage.Spec.ClusterName,
                        AvailableNodes = Count(after.Agent?.Available ?? (int?)after.GuardDuty?.CoveredNodes),
                        DesiredNodes = Count(after.Agent?.Desired ?? (int?)after.GuardDuty?.CompatibleNodes),
                        AddonVersion = after.GuardDuty?.AddonVersion,
                    },
                },
                Issue = unhealthy ? ready?.Message ?? "" : "",
                LastUpdatedAt = time,
                CoverageOperator = new CoverageOperatorExtension
                {
                    Name = coverage.Metadata.Name,
                    ReasonCode = ready?.Reason ?? "CoverageUnknown",
                    Ready = ready?.Status,
                    Summary = after.Summary,
                    Coverage = after.Coverage,
                    PreviousCoverage = previousCoverage,
                    Local = after.Local,
                    GuardDutyCoverageStatus = after.GuardDuty?.CoverageStatus,
                    CrossCheck = after.CrossCheck,
                    Findings = [.. (after.Findings ?? []).Select(f => new CoverageEventFinding(f.Reason, f.Severity, f.Sources, f.Message, f.Remediation))],
                },
            },
        };
    }

    /// <summary>The webhook body: the whole event.</summary>
    public static byte[] WebhookBody(CoverageEvent e) => JsonSerializer.SerializeToUtf8Bytes(e, CoverageEventJsonContext.Default.CoverageEvent);

    /// <summary>The EventBridge <c>Detail</c>: the detail object only (EventBridge writes the envelope itself).</summary>
    public static string EventBridgeDetail(CoverageEvent e) => JsonSerializer.Serialize(e.Detail, CoverageEventJsonContext.Default.RuntimeProtectionDetail);

    private static string? Status(string? coverage) => coverage switch
    {
        "Healthy" => "HEALTHY",
        "Unhealthy" => "UNHEALTHY",
        _ => null,
    };

    private static string? Count(int? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static string Partition(string region) =>
        region.StartsWith("cn-", StringComparison.Ordinal) ? "aws-cn" : region.StartsWith("us-gov-", StringComparison.Ordinal) ? "aws-us-gov" : "aws";
}
