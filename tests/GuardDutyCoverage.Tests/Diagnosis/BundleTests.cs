using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Cli;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Util;
using Microsoft.Extensions.Time.Testing;

namespace GuardDutyCoverage.Tests.Diagnosis;

/// <summary>Support bundles: content recognition, and <c>diagnose --bundle</c> run in-process on the fixtures.</summary>
public sealed class BundleTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 17, 0, 0, TimeSpan.Zero);

    private sealed record Run(int Exit, string Stdout, string Stderr)
    {
        public JsonNode Json => JsonNode.Parse(Stdout)!;
    }

    private static async Task<Run> Diagnose(params string[] args) => await Diagnose(terminal: false, noColor: null, args);

    private static Task<Run> Diagnose(bool terminal, string? noColor, params string[] args) => DiagnoseAt(Now, terminal, noColor, args);

    private static async Task<Run> DiagnoseAt(DateTimeOffset now, bool terminal, string? noColor, params string[] args)
    {
        var environment = new DiagnoseEnvironment(new FakeTimeProvider(now), () => terminal, name => name == "NO_COLOR" ? noColor : null);
        var root = new RootCommand("test") { DiagnoseCommand.Create(environment: environment) };
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await root.Parse(["diagnose", .. args]).InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr }, CancellationToken.None);
        return new Run(exit, stdout.ToString(), stderr.ToString());
    }

    private static string Bundle(string scenario) => RepoPaths.TestData("bundles", scenario);

    private static List<(string Reason, string[] Sources)> Findings(JsonNode report) =>
        report["findings"]!.AsArray().Select(f => ((string)f!["reason"]!, f["sources"]!.AsArray().Select(s => (string)s!).ToArray())).ToList();

    /// <summary>
    /// A finding's message is a function of what was observed, not of how long ago: an age in it ("6 h ago") would
    /// change every GuardDutyCoverage's status every few minutes, and each change is a status write (the scale
    /// harness found two). Every bundle, diagnosed seven minutes apart, gives the same findings.
    /// </summary>
    [Fact]
    public async Task FindingMessagesDoNotChangeWithTheClockAlone()
    {
        var bundles = Directory.GetDirectories(RepoPaths.TestData("bundles")).Order(StringComparer.Ordinal).ToList();
        Assert.True(bundles.Count > 20, $"{bundles.Count} bundles");
        foreach (var bundle in bundles)
        {
            string[] args = ["--bundle", bundle, "--cluster-name", "prod-eks-1", "-o", "json"];
            var first = await DiagnoseAt(Now, terminal: false, noColor: null, args);
            var later = await DiagnoseAt(Now.AddMinutes(7), terminal: false, noColor: null, args);
            static string Messages(Run run) => string.Join("\n", run.Json["findings"]!.AsArray().Select(f => (string)f!["reason"]! + ": " + (string)f["message"]!));
            Assert.Equal(Messages(first), Messages(later));
        }
    }

    [Fact]
    public async Task HealthyBundleExitsZero()
    {
        var run = await Diagnose("--bundle", Bundle("healthy"), "-o", "json");
        Assert.Equal(0, run.Exit);
        Assert.Equal("", run.Stderr);
        var report = run.Json;
        Assert.Equal("prod-eks-1", (string)report["cluster"]!);
        Assert.Equal("us-east-1", (string)report["region"]!);
        Assert.Equal("Healthy", (string)report["coverage"]!);
        Assert.Equal("Healthy", (string)report["local"]!);
        Assert.Equal("HEALTHY", (string)report["guardDuty"]!["coverageStatus"]!);
        Assert.Equal("2026-11-26T15:50:00Z", (string)report["guardDuty"]!["updatedAt"]!);
        Assert.Equal(3, (int)report["guardDuty"]!["coveredNodes"]!);
        Assert.Equal("Agree", (string)report["crossCheck"]!);
        Assert.Empty(report["findings"]!.AsArray());
        Assert.Empty(report["inputErrors"]!.AsArray());
        Assert.Equal("3/3", (string)report["agent"]!["summary"]!);
    }

    [Theory]
    [InlineData("unschedulable", "AgentPodsUnschedulable", "Local,GuardDuty,EksAddon", "Agree")]
    [InlineData("addon-manager-forbidden", "AddonManagerForbidden", "Local,GuardDuty", "Agree")]
    [InlineData("field-conflict", "AgentImageFieldConflict", "Local,GuardDuty,EksAddon", "Agree")]
    [InlineData("vpc-dns", "VpcDnsAttributesDisabled", "GuardDuty,Ec2", "LocalBlindSpot")]
    public async Task ScenarioBundleIsExplained(string scenario, string reason, string sources, string crossCheck)
    {
        var run = await Diagnose("--bundle", Bundle(scenario), "-o", "json");
        Assert.Equal(1, run.Exit);
        var report = run.Json;
        Assert.Equal("Unhealthy", (string)report["coverage"]!);
        Assert.Equal(crossCheck, (string)report["crossCheck"]!);
        var finding = Assert.Single(Findings(report), f => f.Reason == reason);
        Assert.Equal(sources, string.Join(",", finding.Sources));
        Assert.Equal(reason, (string)report["readiness"]!["reason"]!);
    }

    /// <summary>
    /// One bundle per catalog v2 code (issue 9), written by generate.py as the collection commands of docs/cli.md write
    /// them: scenario, code, severity, a fragment of the message, and whether the bundle names the cluster itself
    /// (kubectl-only bundles need --cluster-name, as docs/cli.md says).
    /// </summary>
    public static readonly TheoryData<string, string, string, string, bool> CatalogV2Bundles = new()
    {
        { "nodes-without-agent", "NodesWithoutAgent", "Error", "ip-10-0-4-89.ec2.internal (NodeTaintNotTolerated: nvidia.com/gpu=present:NoSchedule)", false },
        { "nodes-not-coverable", "NodesNotCoverable", "Info", "1 Fargate (fargate-ip-10-0-5-9.ec2.internal)", false },
        { "agent-kernel-unsupported", "AgentKernelUnsupported", "Error", "(kernel 4.14.355-275.570.amzn2.x86_64, Amazon Linux 2): level=fatal msg=\"failed to start agent\" error=\"failed to find valid kernel BTF", false },
        { "agent-oom-killed", "AgentOOMKilled", "Error", "aws-guardduty-agent-9qzrt on ip-10-0-2-45.ec2.internal: container aws-guardduty-agent OOMKilled (exit 137, 3 restarts, memory limit 1Gi)", false },
        { "pod-security-blocks-agent", "PodSecurityBlocksAgent", "Error", "FailedCreate (18x): Error creating: pods \"aws-guardduty-agent-x2v9k\" is forbidden: violates PodSecurity \"restricted:latest\"", false },
        { "agent-pod-spec-mutated", "AgentPodSpecMutated", "Warning", "image registry.corp.example.com/ecr-mirror/aws-guardduty-agent:v1.17.1 (template 602401143452.dkr.ecr.us-east-1.amazonaws.com/aws-guardduty-agent:v1.17.1)", false },
        { "resource-quota-blocks-agent", "ResourceQuotaBlocksAgent", "Error", "ResourceQuota compute is full: pods used 2 of 2. FailedCreate (25x): Error creating: pods \"aws-guardduty-agent-x2v9k\" is forbidden: exceeded quota: compute", false },
        { "gitops-owns-agent-objects", "GitOpsOwnsAgentObjects", "Warning", "Namespace amazon-guardduty is managed by Argo CD without pruning disabled", false },
        { "network-policy-blocks-agent", "NetworkPolicyBlocksAgent", "Error", "(default-deny-egress) allow no egress for TCP 443 to the guardduty-data endpoint", false },
        { "addon-stuck-in-progress", "AddonStuckInProgress", "Error", "has been UPDATING since 2026-11-26T15:00:00Z, longer than the 20 min threshold.", true },
        { "guardduty-feature-misconfigured", "GuardDutyFeatureMisconfigured", "Error", "legacy EKS_RUNTIME_MONITORING and RUNTIME_MONITORING are both ENABLED with EKS_ADDON_MANAGEMENT DISABLED and ENABLED", true },
        { "coverage-healthy-but-nodes-uncovered", "CoverageHealthyButNodesUncovered", "Error", "GuardDuty reports HEALTHY but covers 2 of 3 compatible nodes", true },
        { "guardduty-coverage-stale", "GuardDutyCoverageStale", "Warning", "at 2026-11-26T11:00:00Z, longer ago than the 2 h threshold; since then 1 node joined, 1 agent pod changed readiness", true },
        { "duplicate-agent-on-node", "DuplicateAgentOnNode", "Warning", "EC2 rows for 2 of the cluster's nodes: ip-10-0-1-23.ec2.internal (i-0a1b2c3d4e5f60123, EC2 agent 1.6.0, MANUAL), ip-10-0-2-45.ec2.internal", true },
        { "vpc-owned-by-another-account", "VpcOwnedByAnotherAccount", "Info", "vpc-0a1b2c3d4e5f60718 is owned by account 444455556666, not 111122223333", true },
    };

    [Theory]
    [MemberData(nameof(CatalogV2Bundles))]
    public async Task CatalogV2BundleProducesItsCodeWithSteps(string scenario, string reason, string severity, string message, bool namesTheCluster)
    {
        string[] args = namesTheCluster ? ["--bundle", Bundle(scenario), "-o", "json"] : ["--bundle", Bundle(scenario), "--cluster-name", "prod-eks-1", "-o", "json"];
        var run = await Diagnose(args);
        Assert.Equal("", run.Stderr);
        var report = run.Json;
        Assert.Empty(report["inputErrors"]!.AsArray());
        Assert.Equal("prod-eks-1", (string)report["cluster"]!);
        var finding = report["findings"]!.AsArray().Single(f => (string)f!["reason"]! == reason)!;
        Assert.Equal(severity, (string)finding["severity"]!);
        Assert.Contains(message, (string)finding["message"]!, StringComparison.Ordinal);
        var steps = finding["remediation"]!.AsArray().Select(s => (string)s!).ToList();
        Assert.NotEmpty(steps);

        // An Error makes the coverage Unhealthy (exit 1); a Warning or an Info alone leaves it Healthy (exit 0).
        Assert.Equal(severity == "Error" ? "Unhealthy" : "Healthy", (string)report["coverage"]!);
        Assert.Equal(severity == "Error" ? 1 : 0, run.Exit);
    }

    [Fact]
    public void EveryCatalogV2CodeHasABundle()
    {
        string[] issue9 =
        [
            ReasonCodes.NodesWithoutAgent, ReasonCodes.NodesNotCoverable, ReasonCodes.AgentKernelUnsupported, ReasonCodes.AgentOOMKilled,
            ReasonCodes.PodSecurityBlocksAgent, ReasonCodes.AgentPodSpecMutated, ReasonCodes.ResourceQuotaBlocksAgent, ReasonCodes.GitOpsOwnsAgentObjects,
            ReasonCodes.NetworkPolicyBlocksAgent, ReasonCodes.AddonStuckInProgress, ReasonCodes.GuardDutyFeatureMisconfigured,
            ReasonCodes.CoverageHealthyButNodesUncovered, ReasonCodes.GuardDutyCoverageStale, ReasonCodes.DuplicateAgentOnNode, ReasonCodes.VpcOwnedByAnotherAccount,
        ];
        var covered = CatalogV2Bundles.Select(row => (string)row[1]).ToList();
        Assert.Equal(issue9.Order(StringComparer.Ordinal), covered.Order(StringComparer.Ordinal));
        Assert.All(CatalogV2Bundles, row => Assert.True(Directory.Exists(Bundle((string)row[0])), (string)row[0]));
    }

    [Fact]
    public async Task TheStuckThresholdDecidesWhenAnUpdatingAddOnIsStuck()
    {
        // The bundle's add-on has been UPDATING for 120 minutes: under a 3-hour threshold it is still progressing.
        var patient = (await Diagnose("--bundle", Bundle("addon-stuck-in-progress"), "--addon-stuck-after", "3h", "-o", "json")).Json;
        Assert.DoesNotContain(Findings(patient), f => f.Reason == ReasonCodes.AddonStuckInProgress);
        Assert.True((bool)patient["readiness"]!["reconciling"]!);
        var strict = (await Diagnose("--bundle", Bundle("addon-stuck-in-progress"), "--addon-stuck-after", "90m", "-o", "json")).Json;
        Assert.Contains("longer than the 90 min threshold", (string)strict["findings"]!.AsArray().Single(f => (string)f!["reason"]! == ReasonCodes.AddonStuckInProgress)!["message"]!);
    }

    [Fact]
    public async Task TheStaleThresholdDecidesWhenAnOldRecordIsStale()
    {
        // The record is 6 h old and the node joined 5 h ago: with a 5.5 h threshold GuardDuty still has time to catch up.
        var patient = (await Diagnose("--bundle", Bundle("guardduty-coverage-stale"), "--coverage-stale-after", "5h30m", "-o", "json")).Json;
        Assert.DoesNotContain(Findings(patient), f => f.Reason == ReasonCodes.GuardDutyCoverageStale);
        var strict = (await Diagnose("--bundle", Bundle("guardduty-coverage-stale"), "--coverage-stale-after", "1h", "-o", "json")).Json;
        Assert.Contains("longer ago than the 1 h threshold", (string)strict["findings"]!.AsArray().Single(f => (string)f!["reason"]! == ReasonCodes.GuardDutyCoverageStale)!["message"]!);
    }

    [Theory]
    [InlineData("--addon-stuck-after", "1m", "--addon-stuck-after \"1m\" is outside 5m to 24h")]
    [InlineData("--addon-stuck-after", "soon", "--addon-stuck-after: \"soon\" is not a duration")]
    [InlineData("--coverage-stale-after", "200h", "--coverage-stale-after: \"200h\" is longer than the maximum of 168h")]
    [InlineData("--coverage-stale-after", "10m", "--coverage-stale-after \"10m\" is outside 30m to 168h")]
    public async Task AThresholdOutOfRangeIsAUsageError(string flag, string value, string error)
    {
        var run = await Diagnose("--bundle", Bundle("addon-stuck-in-progress"), flag, value);
        Assert.Equal(2, run.Exit);
        Assert.Equal("", run.Stdout);
        Assert.Contains(error, run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FieldConflictBundleAlsoWarnsAboutKyverno()
    {
        var report = (await Diagnose("--bundle", Bundle("field-conflict"), "-o", "json")).Json;
        var warning = report["findings"]!.AsArray().Single(f => (string)f!["reason"]! == "AdmissionWebhookMayIntercept")!;
        Assert.Equal("Warning", (string)warning["severity"]!);
        Assert.Contains("validate.kyverno.svc-fail\" (Kyverno)", (string)warning["message"]!);
    }

    [Fact]
    public async Task SubjectAccessReviewInTheBundleIsUsed()
    {
        var report = (await Diagnose("--bundle", Bundle("addon-manager-forbidden"), "-o", "json")).Json;
        var finding = report["findings"]!.AsArray().Single()!;
        Assert.Contains("SubjectAccessReview: User eks:addon-manager may not patch priorityclasses.scheduling.k8s.io", (string)finding["message"]!);
        Assert.Contains("ClusterRoleBinding eks:addon-cluster-admin does not exist", (string)finding["message"]!);
    }

    [Fact]
    public async Task MalformedFilesAreNamedAndTheRestIsDiagnosed()
    {
        var run = await Diagnose("--bundle", Bundle("malformed"), "-o", "json");
        Assert.Equal(0, run.Exit);
        var errors = run.Json["inputErrors"]!.AsArray().Select(e => ((string)e!["file"]!, (string)e["message"]!)).ToList();
        Assert.Equal(["aws/truncated.json", "broken.yaml", "notes.json"], errors.Select(e => e.Item1));
        Assert.StartsWith("invalid JSON at line 1", errors[0].Item2);
        Assert.StartsWith("invalid YAML at line 5", errors[1].Item2);
        Assert.StartsWith("not recognised", errors[2].Item2);
        Assert.Contains("warning: skipped broken.yaml: invalid YAML", run.Stderr);
        Assert.DoesNotContain("   at ", run.Stderr);
        Assert.Equal("Healthy", (string)run.Json["coverage"]!);
    }

    [Fact]
    public async Task SeveralClustersNeedAClusterName()
    {
        var run = await Diagnose("--bundle", Bundle("multi-cluster"));
        Assert.Equal(2, run.Exit);
        Assert.Equal("", run.Stdout);
        Assert.Contains("--cluster-name is required: the bundle's coverage data lists 2 clusters (prod-eks-1, staging-eks)", run.Stderr);
    }

    [Fact]
    public async Task AwsOnlyBundleWithEpochTimestampsExplainsGuardDutysView()
    {
        var run = await Diagnose("--bundle", Bundle("multi-cluster"), "--cluster-name", "staging-eks", "-o", "json");
        Assert.Equal(1, run.Exit);
        var report = run.Json;
        Assert.Equal("Unknown", (string)report["local"]!);
        Assert.Equal("UNHEALTHY", (string)report["guardDuty"]!["coverageStatus"]!);
        Assert.Equal("2026-11-26T15:50:00Z", (string)report["guardDuty"]!["updatedAt"]!);
        Assert.Equal("EnablementProvisioningInProgress", Assert.Single(Findings(report)).Reason);
        Assert.True((bool)report["readiness"]!["reconciling"]!);
    }

    [Fact]
    public async Task MissingNamespaceAndMissingCoverageRecordAreBothReported()
    {
        var run = await Diagnose("--bundle", Bundle("not-installed"), "--cluster-name", "prod-eks-1", "--region", "eu-west-1", "-o", "json");
        Assert.Equal(1, run.Exit);
        var report = run.Json;
        Assert.Equal("eu-west-1", (string)report["region"]!);
        Assert.Equal(["AgentNamespaceMissing", "GuardDutyCoverageNotFound"], Findings(report).Select(f => f.Reason).Order());
        Assert.Equal("NotFound", (string)report["guardDuty"]!["coverageStatus"]!);
        Assert.Contains("RUNTIME_MONITORING is ENABLED", (string)report["findings"]!.AsArray().Single(f => (string)f!["reason"]! == "GuardDutyCoverageNotFound")!["message"]!);
    }

    [Fact]
    public async Task CoverageDataWithOneClusterNamesTheCluster()
    {
        var report = (await Diagnose("--bundle", Bundle("not-installed"), "-o", "json")).Json;
        Assert.Equal("other-cluster", (string)report["cluster"]!);
    }

    [Fact]
    public async Task YamlOutputIsTheSameReport()
    {
        var json = (await Diagnose("--bundle", Bundle("unschedulable"), "-o", "json")).Json;
        var yaml = await Diagnose("--bundle", Bundle("unschedulable"), "-o", "yaml");
        Assert.Equal(1, yaml.Exit);
        Assert.True(JsonNode.DeepEquals(json, YamlJson.Parse(yaml.Stdout)));
    }

    [Fact]
    public async Task TableHasOneLinePerFindingWithItsStepsAndNoColourWhenNotATerminal()
    {
        var run = await Diagnose("--bundle", Bundle("unschedulable"));
        Assert.Equal(1, run.Exit);
        var lines = run.Stdout.Split('\n');
        var findingLine = Assert.Single(lines, l => l.StartsWith("ERROR", StringComparison.Ordinal));
        Assert.Contains("AgentPodsUnschedulable", findingLine);
        Assert.Contains("Local,GuardDuty,EksAddon", findingLine);
        var index = Array.IndexOf(lines, findingLine);
        Assert.StartsWith("          - Give the agent a priority class", lines[index + 1]);
        Assert.DoesNotContain('\u001b', run.Stdout);
    }

    [Fact]
    public async Task TableIsColouredOnATerminalUnlessNoColorIsSet()
    {
        var coloured = await Diagnose(terminal: true, noColor: null, "--bundle", Bundle("unschedulable"));
        Assert.Contains("\u001b[31mERROR", coloured.Stdout);
        var plain = await Diagnose(terminal: true, noColor: "1", "--bundle", Bundle("unschedulable"));
        Assert.DoesNotContain('\u001b', plain.Stdout);
    }

    [Fact]
    public async Task NothingToDiagnoseIsAUsageError()
    {
        var empty = Directory.CreateTempSubdirectory("gd-bundle-");
        try
        {
            File.WriteAllText(Path.Combine(empty.FullName, "README.txt"), "not a bundle file");
            var run = await Diagnose("--bundle", empty.FullName);
            Assert.Equal(2, run.Exit);
            Assert.Contains("nothing to diagnose", run.Stderr);

            var missing = await Diagnose("--bundle", Path.Combine(empty.FullName, "absent"));
            Assert.Equal(2, missing.Exit);
            Assert.Contains("does not exist", missing.Stderr);

            var none = await Diagnose();
            Assert.Equal(2, none.Exit);
            Assert.Contains("--bundle DIR is required", none.Stderr);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    [Fact]
    public void ContentNotFileNameDecidesWhatADocumentIs()
    {
        var contents = new BundleContents();
        // A DaemonSet in a .json-named file written as YAML, a typed list, kubectl's List, two concatenated JSON documents.
        BundleLoader.LoadText("weird-name.json", "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: aws-guardduty-agent, namespace: amazon-guardduty}\n", Now, contents);
        BundleLoader.LoadText("a.yaml", "apiVersion: v1\nkind: PodList\nmetadata: {}\nitems:\n- metadata: {name: p1, namespace: amazon-guardduty}\n", Now, contents);
        BundleLoader.LoadText("b.yaml", "---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: amazon-guardduty}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ignored}\n", Now, contents);
        BundleLoader.LoadText("c.txt.yml", "{\"gitVersion\": \"v1.31.2-eks-7f9249a\", \"major\": \"1\", \"minor\": \"31\"}\n{\"addon\": {\"addonName\": \"aws-guardduty-agent\", \"status\": \"ACTIVE\", \"createdAt\": \"2026-11-20T09:00:00.123000+00:00\"}}", Now, contents);
        BundleLoader.LoadText("d.json", """{"VpcEndpoints": [{"VpcEndpointId": "vpce-1", "VpcId": "vpc-1", "ServiceName": "com.amazonaws.eu-west-1.guardduty-data", "State": "available", "PrivateDnsEnabled": true, "Tags": [{"Key": "GuardDutyManaged", "Value": "true"}]}]}""", Now, contents);
        BundleLoader.LoadText("e.json", """{"resources": [{"resourceId": "c1", "coverageStatus": "HEALTHY", "updatedAt": 1795708200.5, "resourceDetails": {"eksClusterDetails": {"clusterName": "c1"}}}]}""", Now, contents);

        Assert.Empty(contents.Errors);
        Assert.Equal("aws-guardduty-agent", Assert.Single(contents.DaemonSets).Metadata.Name);
        Assert.Equal("p1", Assert.Single(contents.Pods).Metadata.Name);
        Assert.Contains("Pod", contents.KindsSeen);
        Assert.Single(contents.Namespaces);
        Assert.Equal(1, contents.DocumentsIgnored);
        Assert.Equal("v1.31.2-eks-7f9249a", contents.ServerVersion);
        Assert.Equal(new DateTimeOffset(2026, 11, 20, 9, 0, 0, 123, TimeSpan.Zero), Assert.Single(contents.Addons).Addon.CreatedAt);
        var endpoint = Assert.Single(contents.VpcEndpoints).Endpoint;
        Assert.Equal("true", endpoint.Tags["GuardDutyManaged"]);
        Assert.True(endpoint.PrivateDnsEnabled);
        var coverage = Assert.Single(contents.CoverageResources).Resource;
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 15, 50, 0, 500, TimeSpan.Zero), coverage.UpdatedAt);
    }

    [Fact]
    public void ATypedObjectThatDoesNotFitItsKindIsAnInputError()
    {
        var contents = new BundleContents();
        BundleLoader.LoadText("ds.yaml", "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: x}\nspec: {template: {spec: {containers: notalist}}}\n", Now, contents);
        BundleLoader.LoadText("empty.yaml", "# nothing\n", Now, contents);
        BundleLoader.LoadText("scalar.json", "42", Now, contents);
        Assert.Equal(["ds.yaml", "empty.yaml", "scalar.json"], contents.Errors.Select(e => e.File));
        Assert.StartsWith("DaemonSet x:", contents.Errors[0].Message);
    }

    [Fact]
    public async Task ParseErrorsExitWithTwoThroughTheRealCommandLine()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "guardduty-coverage.dll");
        var start = new ProcessStartInfo("dotnet", [dll, "diagnose", "-o", "bogus"]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("'bogus'", await stderr + await stdout);
    }
}
