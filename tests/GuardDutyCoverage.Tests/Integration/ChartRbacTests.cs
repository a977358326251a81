using GuardDutyCoverage.Api;
using GuardDutyCoverage.Controller;
using GuardDutyCoverage.Diagnosis;
using KubeSandbox.Testing;
using GuardDutyCoverage.Tests.Deploy;

namespace GuardDutyCoverage.Tests.Integration;

/// <summary>
/// Least privilege, proven: the operator runs with the token of the ServiceAccount the Helm chart creates, under
/// exactly the RBAC the chart renders, on a sandbox that enforces RBAC. It must work with the defaults (read-only plus
/// its own status and events), and do the opt-in things only when their values are on.
/// </summary>
public sealed class ChartRbacTests
{
    private static readonly string[] RbacKinds = ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"];

    private static async Task<OperatorUnderTest> StartWithChartRbacAsync(params string[] helmArguments)
    {
        var manifests = await Chart.RenderAsync(helmArguments);
        var it = await OperatorUnderTest.StartAsync(startOperator: false);
        it.Sandbox.Cluster.LoadYaml($"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {Chart.Namespace}}}\n");
        foreach (var obj in manifests.Objects.Where(o => RbacKinds.Contains(Manifests.Kind(o))))
        {
            it.Sandbox.Cluster.Upsert(obj);
        }

        var token = it.Sandbox.AddServiceAccountToken(Chart.Namespace, Chart.ServiceAccount);
        it.StartAs(token, new OperatorOptions());
        return it;
    }

    private static IReadOnlyList<string> Denied(OperatorUnderTest it) =>
        it.Sandbox.Requests
            .Where(r => r.User == $"system:serviceaccount:{Chart.Namespace}:{Chart.ServiceAccount}" && r.StatusCode == 403)
            .Select(r => $"{r.Method} {r.Path}")
            .ToList();

    [HelmFact]
    public async Task DefaultRbacIsEnoughForEveryCheckAndDryRunsFallBackToStaticAnalysis()
    {
        await using var it = await StartWithChartRbacAsync();
        it.ApplyCoverage();
        var status = await it.WaitForReadyAsync(ConditionStatus.True);

        Assert.Equal(ConditionStatus.True, status.Conditions.Find(CheckTypes.AddonManagerAuthorized)!.Status);
        var admission = status.Conditions.Find(CheckTypes.AdmissionAllowed)!;
        Assert.Equal(ConditionStatus.True, admission.Status);
        Assert.DoesNotContain("dry-run", admission.Message, StringComparison.OrdinalIgnoreCase);

        // The only requests RBAC refused are the opt-in dry-run PATCHes.
        Assert.All(Denied(it), d => Assert.StartsWith("PATCH ", d));
        Assert.NotEmpty(Denied(it));
    }

    [HelmFact]
    public async Task WithTheDryRunOptInAWebhookDenialIsConfirmed()
    {
        await using var it = await StartWithChartRbacAsync("--set", "admissionDryRun.enabled=true");
        it.ApplyCoverage();
        await it.WaitForReadyAsync(ConditionStatus.True);
        Assert.Empty(Denied(it));

        it.Sandbox.Cluster.Upsert(KyvernoLike.Install(it.Webhooks, ["registry.example.com/*"]));
        var status = await it.WaitForFindingAsync(ReasonCodes.AdmissionWebhookDenied);
        Assert.Contains("validate.kyverno.svc-fail", status.Findings!.Single(f => f.Reason == ReasonCodes.AdmissionWebhookDenied).Message);
        Assert.Empty(Denied(it));
    }
}
