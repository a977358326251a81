using System.Globalization;
using System.Text.RegularExpressions;
using GuardDutyCoverage.Api;

namespace GuardDutyCoverage.Diagnosis.Checks;

/// <summary>GuardDutyCovered, EksAddonHealthy and NetworkReady: what AWS says.</summary>
internal static class AwsChecks
{
    private static readonly Regex VpcIdPattern = new(@"\bvpc-[0-9a-f]{8,17}\b", RegexOptions.CultureInvariant, Catalog.RegexBudget);

    /// <summary>Reads GuardDuty's coverage record into the verdict and findings.</summary>
    public static GuardDutyVerdict GuardDuty(DiagnosisContext context, string? notCheckedReason)
    {
        var target = context.Target;
        if (!target.GuardDutyCheck)
        {
            return new GuardDutyVerdict { CoverageStatus = GuardDutyVerdicts.NotChecked, Reason = notCheckedReason ?? "The GuardDuty check is switched off (spec.checks.guardDuty: false)." };
        }

        var observation = context.Snapshot.Aws?.Coverage;
        if (observation is null)
        {
            return new GuardDutyVerdict { CoverageStatus = GuardDutyVerdicts.Unknown, Reason = "GuardDuty ListCoverage has not been read yet." };
        }

        if (!observation.Succeeded)
        {
            return new GuardDutyVerdict { CoverageStatus = GuardDutyVerdicts.Unknown, Reason = observation.Error ?? "GuardDuty ListCoverage could not be read." };
        }

        var staleReason = observation.Stale ? $"Last read failed, showing the values of {Rfc(observation.CheckedAt)}: {observation.Error}" : null;
        if (!observation.Found || observation.Value is null)
        {
            context.Add(ReasonCodes.GuardDutyCoverageNotFound, FindingSource.GuardDuty,
                $"GuardDuty ListCoverage has no EKS coverage record for cluster {target.ClusterName}{DetectorNote(context)}.");
            ExpectedManagementFromDetector(context);
            return new GuardDutyVerdict
            {
                CoverageStatus = GuardDutyVerdicts.NotFound,
                CheckedAt = observation.CheckedAt,
                Stale = observation.Stale ? true : null,
                Reason = staleReason,
            };
        }

        var resource = observation.Value;
        var eks = resource.ResourceDetails?.EksClusterDetails;
        var status = resource.CoverageStatus?.ToUpperInvariant() switch
        {
            CoverageStatusValues.Healthy => GuardDutyVerdicts.Healthy,
            CoverageStatusValues.Unhealthy => GuardDutyVerdicts.Unhealthy,
            _ => null,
        };
        if (status is null)
        {
            return new GuardDutyVerdict
            {
                CoverageStatus = GuardDutyVerdicts.Unknown,
                Issue = resource.Issue,
                Reason = $"GuardDuty reports coverage status \"{resource.CoverageStatus}\", which this version does not know.",
                CheckedAt = observation.CheckedAt,
            };
        }

        if (status == GuardDutyVerdicts.Unhealthy || !string.IsNullOrWhiteSpace(resource.Issue))
        {
            var parsed = IssueParser.ParseGuardDutyIssue(resource.Issue);
            var updated = resource.UpdatedAt is { } at ? $" (updated {Rfc(at)})" : "";
            if (status == GuardDutyVerdicts.Unhealthy || parsed.Reason != ReasonCodes.UnrecognizedIssue)
            {
                context.Add(parsed.Reason, FindingSource.GuardDuty,
                    string.IsNullOrWhiteSpace(resource.Issue) ? $"GuardDuty reports {status} without an issue{updated}." : $"{resource.Issue}{updated}",
                    VpcIdDetails(resource.Issue));
            }
        }

        var expected = target.ExpectedManagementType;
        if (expected is not null && eks?.ManagementType is { } actual && !string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
        {
            context.Add(ReasonCodes.ManagementTypeMismatch, FindingSource.GuardDuty,
                $"GuardDuty manages the agent of {target.ClusterName} as {actual}; spec.expectedManagementType is {expected}.");
        }

        return new GuardDutyVerdict
        {
            CoverageStatus = status,
            Issue = resource.Issue,
            ManagementType = eks?.ManagementType,
            AddonVersion = eks?.AddonDetails?.AddonVersion,
            CoveredNodes = eks?.CoveredNodes,
            CompatibleNodes = eks?.CompatibleNodes,
            UpdatedAt = resource.UpdatedAt,
            CheckedAt = observation.CheckedAt,
            Stale = observation.Stale ? true : null,
            Reason = staleReason,
        };
    }

    /// <summary>Why a cluster may be missing from ListCoverage, from the detector's features.</summary>
    private static string DetectorNote(DiagnosisContext context)
    {
        var detector = context.Snapshot.Aws?.Detector is { Succeeded: true, Found: true } observation ? observation.Value : null;
        if (detector is null)
        {
            return "";
        }

        if (string.Equals(detector.Status, "DISABLED", StringComparison.OrdinalIgnoreCase))
        {
            return "; the GuardDuty detector is DISABLED";
        }

        var runtime = RuntimeFeature(detector);
        if (runtime is null)
        {
            return "; the detector has no Runtime Monitoring feature";
        }

        if (!string.Equals(runtime.Status, "ENABLED", StringComparison.OrdinalIgnoreCase))
        {
            return $"; detector feature {runtime.Name} is {runtime.Status}";
        }

        var addonManagement = AddonManagement(runtime);
        return addonManagement is { } management && !string.Equals(management.Status, "ENABLED", StringComparison.OrdinalIgnoreCase)
            ? $"; {runtime.Name} is ENABLED but automated agent configuration (EKS_ADDON_MANAGEMENT) is {management.Status}: install the add-on, or check the cluster's GuardDutyManaged tag"
            : $"; {runtime.Name} is ENABLED: check the cluster's GuardDutyManaged tag (tag sync can take time)";
    }

    /// <summary>Without a coverage record, the detector still tells whether GuardDuty would manage the agent.</summary>
    private static void ExpectedManagementFromDetector(DiagnosisContext context)
    {
        var expected = context.Target.ExpectedManagementType;
        var detector = context.Snapshot.Aws?.Detector is { Succeeded: true, Found: true } observation ? observation.Value : null;
        if (expected != ManagementTypeValues.AutoManaged || detector is null || RuntimeFeature(detector) is not { } runtime || AddonManagement(runtime) is not { } management)
        {
            return;
        }

        if (!string.Equals(management.Status, "ENABLED", StringComparison.OrdinalIgnoreCase))
        {
            context.Add(ReasonCodes.ManagementTypeMismatch, FindingSource.GuardDuty,
                $"spec.expectedManagementType is AUTO_MANAGED but the detector's automated agent configuration (EKS_ADDON_MANAGEMENT) is {management.Status}.");
        }
    }

    private static DetectorFeatureConfigurationResult? RuntimeFeature(GetDetectorResponse detector) =>
        detector.Features?.FirstOrDefault(f => f.Name == "RUNTIME_MONITORING") ?? detector.Features?.FirstOrDefault(f => f.Name == "EKS_RUNTIME_MONITORING");

    private static DetectorAdditionalConfigurationResult? AddonManagement(DetectorFeatureConfigurationResult feature) =>
        feature.AdditionalConfiguration?.FirstOrDefault(a => a.Name == "EKS_ADDON_MANAGEMENT");

    public static void EksAddon(DiagnosisContext context)
    {
        var target = context.Target;
        var aws = context.Snapshot.Aws;
        if (aws?.Cluster is { Succeeded: true, Found: true, Value.OutpostConfig: not null } cluster)
        {
            context.Add(ReasonCodes.LocalOutpostCluster, FindingSource.EksAddon,
                $"EKS DescribeCluster: {target.ClusterName} is a local cluster on AWS Outposts ({string.Join(", ", cluster.Value!.OutpostConfig!.OutpostArns ?? [])}).");
        }

        if (!target.EksAddonCheck)
        {
            context.Note(CheckTypes.EksAddonHealthy, ConditionStatus.Unknown, "Disabled", "The EKS add-on check is switched off (spec.checks.eksAddon: false).");
            return;
        }

        var observation = aws?.Addon;
        if (observation is null)
        {
            context.Note(CheckTypes.EksAddonHealthy, ConditionStatus.Unknown, ConditionReasons.NotObserved, "EKS DescribeAddon has not been read.");
            return;
        }

        if (!observation.Succeeded)
        {
            context.Note(CheckTypes.EksAddonHealthy, ConditionStatus.Unknown, AwsAccessReasons.For(observation.FailureKind) ?? ConditionReasons.ReadFailed, observation.Error ?? "EKS DescribeAddon could not be read.");
            return;
        }

        if (!observation.Found || observation.Value is null)
        {
            var snapshot = context.Snapshot;
            var message = $"EKS DescribeAddon: the {Catalog.AddonName} add-on is not installed on {target.ClusterName}.";
            if (snapshot.KubernetesObserved && snapshot.Observed(SnapshotKinds.Namespace) && snapshot.AgentNamespace is null && context.DaemonSet is null)
            {
                context.Add(ReasonCodes.AgentNamespaceMissing, FindingSource.EksAddon, message);
            }
            else if (!snapshot.KubernetesObserved || context.DaemonSet is null)
            {
                context.Add(ReasonCodes.AgentDaemonSetMissing, FindingSource.EksAddon, message);
            }
            else
            {
                context.Note(CheckTypes.EksAddonHealthy, ConditionStatus.True, "AddonNotInstalled",
                    message + " The agent DaemonSet exists: it was deployed another way.");
            }

            return;
        }

        var addon = observation.Value;
        var issues = addon.Health?.Issues ?? [];
        foreach (var issue in issues)
        {
            var parsed = IssueParser.ParseAddonIssue(issue.Code, issue.Message);
            var resources = issue.ResourceIds is { Count: > 0 } ids ? $" (resources: {string.Join(", ", ids)})" : "";
            context.Add(parsed.Reason, FindingSource.EksAddon, $"EKS add-on issue {issue.Code}: {issue.Message}{resources}");
        }

        var status = addon.Status ?? "UNKNOWN";
        var since = addon.ModifiedAt ?? addon.CreatedAt;
        if (status is "CREATING" or "UPDATING" or "DELETING" && since is { } started && context.Snapshot.Now - started > target.AddonStuckAfter)
        {
            // Progress that never ends is a failure someone has to look at (Stalled), not Reconciling forever. The
            // message names the times, not the age: an age in the status would change it every minute, and each
            // change is a write.
            context.Add(ReasonCodes.AddonStuckInProgress, FindingSource.EksAddon,
                string.Create(CultureInfo.InvariantCulture,
                    $"EKS add-on {Catalog.AddonName} {addon.AddonVersion} has been {status} since {Rfc(started)}, longer than the {target.AddonStuckAfter.TotalMinutes:0} min threshold."));
            status = "STUCK";
        }

        switch (status)
        {
            case "CREATING" or "UPDATING":
                context.AddonProgressing = true;
                context.Note(CheckTypes.EksAddonHealthy, ConditionStatus.Unknown, "AddonProgressing", $"EKS add-on {Catalog.AddonName} {addon.AddonVersion} is {status}.");
                break;
            case "CREATE_FAILED" or "UPDATE_FAILED" or "DEGRADED" or "DELETE_FAILED" or "DELETING" when issues.Count == 0:
                context.Add(ReasonCodes.AddonIssueOther, FindingSource.EksAddon, $"EKS add-on {Catalog.AddonName} {addon.AddonVersion} is {status} without a reported issue.");
                break;
            case "ACTIVE" when issues.Count == 0:
                context.Note(CheckTypes.EksAddonHealthy, ConditionStatus.True, "AddonActive", $"EKS add-on {Catalog.AddonName} {addon.AddonVersion} is ACTIVE with no health issues.");
                break;
        }

        if (observation.Stale)
        {
            context.Note(CheckTypes.EksAddonHealthy, ConditionStatus.Unknown, "Stale", $"Last read failed, showing the values of {Rfc(observation.CheckedAt)}: {observation.Error}");
        }
    }

    public static void Network(DiagnosisContext context)
    {
        var aws = context.Snapshot.Aws;
        var observed = new List<string>();
        if (aws?.VpcDns is { Succeeded: true, Value: { } dns })
        {
            var disabled = new List<string>();
            if (dns.EnableDnsSupport == false)
            {
                disabled.Add("enableDnsSupport");
            }

            if (dns.EnableDnsHostnames == false)
            {
                disabled.Add("enableDnsHostnames");
            }

            if (disabled.Count > 0)
            {
                context.Add(ReasonCodes.VpcDnsAttributesDisabled, FindingSource.Ec2,
                    $"EC2 DescribeVpcAttribute: {string.Join(" and ", disabled)} {(disabled.Count == 1 ? "is" : "are")} false for {dns.VpcId}; private DNS of the guardduty-data endpoint needs both true.",
                    new Dictionary<string, string> { ["vpcId"] = dns.VpcId });
            }
            else
            {
                observed.Add($"DNS support and hostnames are enabled for {dns.VpcId}.");
            }
        }

        if (aws?.GuardDutyDataEndpoints is { Succeeded: true, Value: { } endpoints })
        {
            var region = context.Region;
            var service = region is null ? null : $"com.amazonaws.{region}.guardduty-data";
            var candidates = endpoints.Where(e => service is null ? e.ServiceName.EndsWith(".guardduty-data", StringComparison.Ordinal) : e.ServiceName == service).ToList();
            var usable = candidates.Where(e => string.Equals(e.State, "available", StringComparison.OrdinalIgnoreCase)).ToList();
            var vpc = context.VpcId ?? candidates.FirstOrDefault()?.VpcId;
            var details = vpc is null ? null : new Dictionary<string, string> { ["vpcId"] = vpc };
            if (usable.Count == 0)
            {
                var states = candidates.Count == 0 ? "none exists" : string.Join(", ", candidates.Select(e => $"{e.VpcEndpointId} is {e.State}"));
                context.Add(ReasonCodes.GuardDutyDataEndpointMissing, FindingSource.Ec2,
                    $"EC2 DescribeVpcEndpoints: no available {service ?? "guardduty-data"} interface endpoint in {vpc ?? "the cluster's VPC"} ({states}).", details);
            }
            else if (usable.All(e => e.PrivateDnsEnabled == false))
            {
                context.Add(ReasonCodes.GuardDutyDataEndpointMissing, FindingSource.Ec2,
                    $"EC2 DescribeVpcEndpoints: {string.Join(", ", usable.Select(e => e.VpcEndpointId))} has private DNS disabled, so guardduty-data.{region}.amazonaws.com does not resolve to it.", details);
            }
            else
            {
                observed.Add($"{string.Join(", ", usable.Select(e => e.VpcEndpointId))} ({service}) is available.");
            }
        }

        if (observed.Count > 0)
        {
            context.Note(CheckTypes.NetworkReady, ConditionStatus.True, "VpcReady", string.Join(" ", observed));
        }
        else if (aws?.VpcDns is null && aws?.GuardDutyDataEndpoints is null)
        {
            context.Note(CheckTypes.NetworkReady, ConditionStatus.Unknown, ConditionReasons.NotObserved, "The VPC was not read (EC2).");
        }
        else
        {
            var errors = new[] { aws?.VpcDns?.Error, aws?.GuardDutyDataEndpoints?.Error }.Where(e => e is not null).Distinct();
            var access = AwsAccessReasons.For(aws?.VpcDns?.FailureKind ?? AwsFailureKind.Other) ?? AwsAccessReasons.For(aws?.GuardDutyDataEndpoints?.FailureKind ?? AwsFailureKind.Other);
            context.Note(CheckTypes.NetworkReady, ConditionStatus.Unknown, access ?? ConditionReasons.ReadFailed, string.Join(" ", errors));
        }
    }

    private static Dictionary<string, string>? VpcIdDetails(string? issue)
    {
        if (issue is null)
        {
            return null;
        }

        var match = Catalog.SafeMatch(VpcIdPattern, issue.Length > IssueParser.MaxMatchedLength ? issue[..IssueParser.MaxMatchedLength] : issue);
        return match is not null ? new Dictionary<string, string> { ["vpcId"] = match.Value } : null;
    }

    internal static string Rfc(DateTimeOffset? time) =>
        time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "an unknown time";
}
