using System.Text.Json;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Controller;
using SnapshotBuilder = GuardDutyCoverage.Tests.Diagnosis.SnapshotBuilder;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Runtime;
using GuardDutyCoverage.Tests.Diagnosis;
using k8s.Models;

namespace GuardDutyCoverage.Tests.Deploy;

/// <summary>
/// The GitOps contract of docs/gitops.md ("The contract"), checked on statuses the real <see cref="StatusComposer"/>
/// writes for every catalog row and source (the cases of <see cref="CatalogRowTests"/>), not on hand-written ones:
/// kstatus and Argo CD's health check must agree with each other and with the row's severity.
/// </summary>
public sealed class GeneratedStatusContractTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<string, string> AllCases() => CatalogRowTests.AllCases();

    [Theory]
    [MemberData(nameof(AllCases))]
    public async Task ComposedStatusOfEveryCatalogRowFollowsTheGitOpsContract(string reason, string source)
    {
        var builder = new SnapshotBuilder();
        CatalogRowTests.Cases[(reason, Enum.Parse<FindingSource>(source))](builder);
        var coverage = Compose(builder.Diagnose());
        var json = JsonSerializer.SerializeToNode(coverage, ApiJsonContext.Default.V1Alpha1GuardDutyCoverage)!;

        KStatus.AssertConforms(json);
        var (kstatus, _) = KStatus.Compute(json);
        var ready = coverage.Status!.Conditions.Find(ConditionTypes.Ready)!;
        var entry = Catalog.Get(reason);
        if (entry.Severity == Severity.Error)
        {
            // A root cause is never Current: Failed when someone must act, InProgress while it converges by itself.
            Assert.NotEqual(ConditionStatus.True, ready.Status);
            Assert.True(kstatus is KStatusResult.Failed or KStatusResult.InProgress, $"{reason}/{source}: kstatus {kstatus}");
        }

        var argo = await ArgoAsync(json);
        var expectedArgo = kstatus switch
        {
            KStatusResult.Failed => "Degraded",
            KStatusResult.InProgress => "Progressing",
            _ when ready.Status == ConditionStatus.True => "Healthy",
            _ when ready.Status == ConditionStatus.False => "Degraded",
            _ => "Progressing",
        };
        if (argo is not null)
        {
            Assert.Equal(expectedArgo, argo);
        }
    }

    [Fact]
    public async Task HealthyClusterIsCurrentAndHealthy()
    {
        var coverage = Compose(new SnapshotBuilder().Diagnose());
        var json = JsonSerializer.SerializeToNode(coverage, ApiJsonContext.Default.V1Alpha1GuardDutyCoverage)!;
        Assert.Equal(KStatusResult.Current, KStatus.Compute(json).Status);
        Assert.Equal(ConditionStatus.True, coverage.Status!.Conditions.Find(ConditionTypes.Ready)!.Status);
        var argo = await ArgoAsync(json);
        Assert.True(argo is null or "Healthy", argo);
    }

    [Fact]
    public async Task BlindViewIsReadyUnknownCurrentForKStatusAndProgressingForArgo()
    {
        // The contract's last row: the operator cannot see. kstatus calls it Current (docs/gitops.md says why the
        // healthCheckExprs are needed), Argo CD keeps it Progressing, Ready is Unknown, never True.
        var healthy = Compose(new SnapshotBuilder().Diagnose());
        var status = StatusComposer.ClusterViewStale(
            [new StaleInformer("clusterrolebindings.rbac.authorization.k8s.io", Now.AddMinutes(-3), "connection refused")],
            healthy.Status,
            generation: 1,
            Now);
        healthy.Status = status;
        var json = JsonSerializer.SerializeToNode(healthy, ApiJsonContext.Default.V1Alpha1GuardDutyCoverage)!;
        KStatus.AssertConforms(json);
        Assert.Equal(ConditionStatus.Unknown, status.Conditions.Find(ConditionTypes.Ready)!.Status);
        Assert.Equal(KStatusResult.Current, KStatus.Compute(json).Status);
        var argo = await ArgoAsync(json);
        Assert.True(argo is null or "Progressing", argo);
    }

    private static V1Alpha1GuardDutyCoverage Compose(DiagnosisReport report) => new()
    {
        Metadata = new V1ObjectMeta { Name = "prod-eks-1", Generation = 1, Uid = "5b0e1a8e-9d5e-4c1b-8f0e-4a7c3e2d1f00" },
        Spec = new GuardDutyCoverageSpec { ClusterName = "prod-eks-1", Region = "us-east-1" },
        Status = StatusComposer.FromReport(report, previous: null, generation: 1, Now),
    };

    /// <summary>Argo CD's verdict from config/argocd/health.lua under Lua 5.1 where installed (CI has it), else null.</summary>
    private static async Task<string?> ArgoAsync(JsonNode json)
    {
        if (DeployTools.LuaInterpreters.Count == 0)
        {
            Assert.False(DeployTools.InCi, "CI must have lua: hack/install-tools.sh lua");
            return null;
        }

        return (await ArgoCdHealth.EvaluateAsync(DeployTools.LuaInterpreters[0], json)).Status;
    }
}
