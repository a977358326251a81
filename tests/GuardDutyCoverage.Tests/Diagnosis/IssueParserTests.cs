using System.Diagnostics;
using GuardDutyCoverage.Diagnosis;

namespace GuardDutyCoverage.Tests.Diagnosis;

/// <summary>The issue grammar: every documented string (guardduty-eks-facts.md §a, both tables) and hostile input.</summary>
public sealed class IssueParserTests
{
    /// <summary>Troubleshooting table (issue type : extra information), exact strings with placeholders filled in.</summary>
    public static TheoryData<string, string> IssueTypeTable => new()
    {
        { "Addon Creation Failed:Addon `aws-guardduty-agent` is not compatible with current cluster version of cluster prod-eks-1. Addon specified is not supported.", ReasonCodes.AddonIncompatibleClusterVersion },
        { "Addon Creation Failed: EKS Addon issue - InsufficientNumberOfReplicas: The add-on is unhealthy because it doesn't have the desired number of replicas.", ReasonCodes.AgentPodsNotReady },
        { "Addon Update Failed: EKS Addon issue - ConfigurationConflict: Conflicts found when trying to apply.", ReasonCodes.AgentImageFieldConflict },
        { "Addon Updation Failed: EKS Addon issue - AdmissionRequestDenied: admission webhook \"x\" denied the request: no", ReasonCodes.AdmissionWebhookDenied },
        { "Addon Status Unhealthy: EKS Addon issue - InternalFailure: internal error", ReasonCodes.AddonIssueOther },
        { "VPC Endpoint Creation Failed:VPC endpoint creation not supported for shared VPC vpc-0123456789abcdef0", ReasonCodes.VpcEndpointSharedVpcUnsupported },
        { "VPC Endpoint Creation Failed:Owner account ID 111122223333 for shared VPC vpc-0123456789abcdef0 doesn't have either Runtime Monitoring, automated agent configuration, or both, enabled.", ReasonCodes.VpcEndpointSharedVpcOwnerNotEnabled },
        { "VPC Endpoint Creation Failed:Enabling private DNS requires both `enableDnsSupport` and `enableDnsHostnames` VPC attributes set to `true` for vpc-0123456789abcdef0 (Service: Ec2, Status Code:400, Request ID: a1b2c3d4-5678-90ab-cdef-EXAMPLE11111).", ReasonCodes.VpcDnsAttributesDisabled },
        { "Shared VPC Endpoint Deletion Failed:Shared VPC endpoint deletion not allowed for account ID 111122223333, shared VPC vpc-0123456789abcdef0, owner account ID 555555555555.", ReasonCodes.SharedVpcEndpointDeletionNotAllowed },
        { "Local EKS clusters:EKS addons are not supported on local outpost clusters.", ReasonCodes.LocalOutpostCluster },
        { "EKS Runtime Monitoring enablement permission not granted", ReasonCodes.EnablementPermissionNotGranted },
        { "EKS Runtime Monitoring enablement permission not granted: AccessDeniedException: not authorized to perform iam:CreateServiceLinkedRole", ReasonCodes.EnablementPermissionNotGranted },
        { "EKS Runtime Monitoring enablement resource provisioning in progress", ReasonCodes.EnablementProvisioningInProgress },
        { "EKS Runtime Monitoring enablement resource provisioning in progress: creating VPC endpoint", ReasonCodes.EnablementProvisioningInProgress },
        { "Others:Error due to authorization failure", ReasonCodes.AuthorizationFailure },
        { "Error due to authorization failure", ReasonCodes.AuthorizationFailure },
    };

    /// <summary>The add-on issue table, each error text exactly as documented (back-ticks included), under each add-on issue type.</summary>
    public static TheoryData<string, string> AddonIssueTable()
    {
        string[] texts =
        [
            "EKS Addon Issue - `InsufficientNumberOfReplicas`: The add-on is unhealthy because it doesn't have the desired number of replicas.|AgentPodsNotReady",
            "EKS Addon Issue - `InsufficientNumberOfReplicas`: The add-on is unhealthy because one or more pods is not scheduled `0/x` nodes are available: `x Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never`.|AgentPodsUnschedulable",
            "EKS Addon Issue - `InsufficientNumberOfReplicas`: The add-on is unhealthy because one or more pods is not scheduled `0/x` nodes are available: `x Too many pods. preemption: not eligible due to preemptionPolicy=Never`.|AgentPodsUnschedulable",
            "EKS Addon Issue - `InsufficientNumberOfReplicas`: The add-on is unhealthy because one or more pods is not scheduled `0/x` nodes are available: `1 Insufficient memory. preemption: not eligible due to preemptionPolicy=Never`.|AgentPodsUnschedulable",
            "EKS Addon Issue - `InsufficientNumberOfReplicas`: The add-on is unhealthy because one or more pods have waiting containers `CrashLoopBackOff: Completed` |AgentPodsCrashLooping",
            "EKS Addon Issue - `InsufficientNumberOfReplicas`: The add-on is unhealthy because one or more pods have waiting containers `CrashLoopBackOff: Error` |AgentPodsCrashLooping",
            "EKS Addon Issue - `AdmissionRequestDenied`: admission webhook `\"validate.kyverno.svc-fail\"` denied the request: policy `DaemonSet/amazon-guardduty/aws-guardduty-agent` for resource violation: restrict-image-registries: `autogen-validate-registries`: ...|AdmissionWebhookDenied",
            "EKS Addon Issue - `ConfigurationConflict`: Conflicts found when trying to apply. Will not continue due to resolve conflicts mode. `Conflicts: DaemonSet.apps aws-guardduty-agent - .spec.template.spec.containers[name=\"aws-guardduty-agent\"].image` |AgentImageFieldConflict",
            "EKS Addon Issue - `AccessDenied: priorityclasses.scheduling.k8s.io \"aws-guardduty-agent.priorityclass\" is forbidden: User \"eks:addon-manager\" cannot patch resource \"priorityclasses\" in API group \"scheduling.k8s.io\" at the cluster scope` |AddonManagerForbidden",
            "EKS Addon Issue - `AccessDenied: admission webhook \"validation.gatekeeper.sh\" denied the request: [all-namespace-must-have-label-owner] All namespaces must have an `owner` label` |NamespaceOwnerLabelRequired",
            "EKS Addon Issue - `AccessDenied: admission webhook \"validation.gatekeeper.sh\" denied the request: [allowed-container-registries] container <aws-guardduty-agent> has an invalid image registry` |AgentImageRegistryNotAllowed",
        ];
        var data = new TheoryData<string, string>();
        foreach (var line in texts)
        {
            var bar = line.LastIndexOf('|');
            foreach (var type in new[] { "Addon Creation Failed", "Addon Update Failed", "Addon Updation Failed", "Addon Status Unhealthy", "AddonUpdationFailed" })
            {
                data.Add($"{type}: {line[..bar]}", line[(bar + 1)..]);
            }
        }

        // The raw example row, white space stripped, escaped quotes as printed in the doc.
        data.Add("AddonUpdationFailed: EKSAddonIssue - `AccessDenied: namespaces\\\"amazon-guardduty\\\"isforbidden:User\\\"eks:addon-manager\\\"cannotpatchresource\\\"namespaces\\\"inAPIgroup\\\"\\\"inthenamespace\\\"amazon-guardduty\\\"`", ReasonCodes.AddonManagerForbidden);
        return data;
    }

    [Theory]
    [MemberData(nameof(IssueTypeTable))]
    [MemberData(nameof(AddonIssueTable))]
    public void DocumentedStringIsRecognised(string issue, string reason)
    {
        var parsed = IssueParser.ParseGuardDutyIssue(issue);
        Assert.Equal(reason, parsed.Reason);
        Assert.Equal(issue, parsed.Raw);
    }

    [Theory]
    [InlineData("InsufficientNumberOfReplicas", "The add-on is unhealthy because it doesn't have the desired number of replicas.", ReasonCodes.AgentPodsNotReady)]
    [InlineData("InsufficientNumberOfReplicas", "one or more pods is not scheduled 0/2 nodes are available: 2 Too many pods.", ReasonCodes.AgentPodsUnschedulable)]
    [InlineData("AccessDenied", "namespaces \"amazon-guardduty\" is forbidden: User \"eks:addon-manager\" cannot patch resource \"namespaces\"", ReasonCodes.AddonManagerForbidden)]
    [InlineData("AdmissionRequestDenied", "admission webhook \"validation.gatekeeper.sh\" denied the request: [allowed-container-registries] container <aws-guardduty-agent> has an invalid image registry", ReasonCodes.AgentImageRegistryNotAllowed)]
    [InlineData("ConfigurationConflict", "Conflicts found", ReasonCodes.AgentImageFieldConflict)]
    [InlineData("ClusterUnreachable", "unreachable", ReasonCodes.AddonIssueOther)]
    [InlineData("UnsupportedAddonModification", "x", ReasonCodes.AddonIssueOther)]
    [InlineData("K8sResourceNotFound", "x", ReasonCodes.AddonIssueOther)]
    [InlineData("AddonSubscriptionNeeded", "x", ReasonCodes.AddonIssueOther)]
    [InlineData("AddonPermissionFailure", "x", ReasonCodes.AddonIssueOther)]
    [InlineData("InternalFailure", "x", ReasonCodes.AddonIssueOther)]
    [InlineData("SomeCodeEksAddsLater", "x", ReasonCodes.AddonIssueOther)]
    [InlineData("AccessDenied", "something else entirely", ReasonCodes.AddonIssueOther)]
    [InlineData("", "no code", ReasonCodes.UnrecognizedIssue)]
    [InlineData(null, null, ReasonCodes.UnrecognizedIssue)]
    public void EksAddonIssuesGoThroughTheSameTable(string? code, string? message, string reason) =>
        Assert.Equal(reason, IssueParser.ParseAddonIssue(code, message).Reason);

    [Fact]
    public void SplitsAtTheFirstColonAndKeepsTheParts()
    {
        var parsed = IssueParser.ParseGuardDutyIssue("Addon Update Failed: EKS Addon issue - ConfigurationConflict: Conflicts: a - b");
        Assert.Equal("Addon Update Failed", parsed.IssueType);
        Assert.Equal("EKS Addon issue - ConfigurationConflict: Conflicts: a - b", parsed.ExtraInformation);
        Assert.Equal("ConfigurationConflict", parsed.AddonIssueCode);
        Assert.Equal("Conflicts: a - b", parsed.AddonIssueMessage);
    }

    [Theory]
    [InlineData("ADDON   UPDATION\tFAILED : eks addon issue-ConfigurationConflict : x", ReasonCodes.AgentImageFieldConflict)]
    [InlineData("addonupdatefailed:EKSADDONISSUE-AccessDenied:forbidden", ReasonCodes.AddonManagerForbidden)]
    [InlineData("Addon Status Unhealthy:\r\nEKS Addon issue -\r\nInsufficientNumberOfReplicas:\r\n CrashLoopBackOff: Error", ReasonCodes.AgentPodsCrashLooping)]
    [InlineData("local eks clusters", ReasonCodes.LocalOutpostCluster)]
    [InlineData("Something new: EKS Addon Issue - ConfigurationConflict: x", ReasonCodes.AgentImageFieldConflict)]
    public void TypeMatchingIgnoresCaseWhiteSpaceAndLayout(string issue, string reason) =>
        Assert.Equal(reason, IssueParser.ParseGuardDutyIssue(issue).Reason);

    [Theory]
    [InlineData("")]
    [InlineData(":")]
    [InlineData("::::::::::")]
    [InlineData("```")]
    [InlineData("\r\n\r\n")]
    [InlineData("Addon Creation Failed")]
    [InlineData("Addon Creation Failed:")]
    [InlineData("VPC Endpoint Creation Failed: something new")]
    [InlineData("Agent not reporting, for task(s) in TaskDefinition x")]
    [InlineData("Überwachung fehlgeschlagen: 監視エラー 🚨")]
    [InlineData("EKS Addon issue - : no code")]
    [InlineData("\0\u0001\u202e")]
    public void UnknownOrHostileInputIsKeptVerbatimAsUnrecognized(string issue)
    {
        var parsed = IssueParser.ParseGuardDutyIssue(issue);
        Assert.Equal(ReasonCodes.UnrecognizedIssue, parsed.Reason);
        Assert.Equal(issue, parsed.Raw);
    }

    [Fact]
    public void NullIsUnrecognizedAndEmpty()
    {
        var parsed = IssueParser.ParseGuardDutyIssue(null);
        Assert.Equal(ReasonCodes.UnrecognizedIssue, parsed.Reason);
        Assert.Equal("", parsed.Raw);
    }

    [Theory]
    [InlineData("x")]
    [InlineData(":")]
    [InlineData("EKS Addon issue - ")]
    [InlineData("admission webhook ")]
    public void HundredKilobytesOfRepetitionNeitherThrowsNorHangs(string unit)
    {
        var issue = "Addon Update Failed: " + string.Concat(Enumerable.Repeat(unit, 100 * 1024 / unit.Length));
        var stopwatch = Stopwatch.StartNew();
        var parsed = IssueParser.ParseGuardDutyIssue(issue);
        stopwatch.Stop();
        Assert.Equal(issue, parsed.Raw);
        Assert.True(Catalog.Contains(parsed.Reason));
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public void LongIssueWithAKnownPrefixIsStillRecognised()
    {
        var issue = "Addon Status Unhealthy: EKS Addon issue - InsufficientNumberOfReplicas: CrashLoopBackOff " + new string('y', 100 * 1024);
        var parsed = IssueParser.ParseGuardDutyIssue(issue);
        Assert.Equal(ReasonCodes.AgentPodsCrashLooping, parsed.Reason);
        Assert.Equal(issue.Length, parsed.Raw.Length);
    }
}
