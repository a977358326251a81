using System.Text.Json.Nodes;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Runtime;
using k8s.Models;

namespace GuardDutyCoverage.Controller;

/// <summary>
/// Applies the catalog's safe fixes inside the cluster, only when both the CR (<c>spec.remediation.mode: Apply</c>) and
/// the operator (<c>--remediation</c>, with its own RBAC) opt in. Never touches AWS (the add-on OVERWRITE fix needs
/// AWS write access and is reported, not applied).
/// </summary>
public sealed class Remediator(KubeApiClient client)
{
    public const string FieldManager = "guardduty-coverage-remediation";
    public const string NamespaceLabelValue = "guardduty-coverage-operator";

    public sealed record Action(string Fix, string Description, bool Succeeded, string? Error);

    public async Task<IReadOnlyList<Action>> ApplyAsync(DiagnosisReport report, DiagnosisTarget target, ClusterObjects objects, CancellationToken cancellationToken)
    {
        var actions = new List<Action>();
        foreach (var finding in report.Findings)
        {
            switch (finding.AutoFix)
            {
                case nameof(AutoFix.CreateAddonClusterAdminBinding)
                    when !objects.ClusterRoleBindings.Any(b => b.Metadata?.Name == Catalog.AddonClusterAdminBinding):
                    actions.Add(await RunAsync(finding.AutoFix, $"created ClusterRoleBinding {Catalog.AddonClusterAdminBinding}", () => CreateBindingAsync(cancellationToken)).ConfigureAwait(false));
                    break;
                case nameof(AutoFix.LabelAgentNamespace)
                    when finding.Details is not null && finding.Details.TryGetValue("label", out var label) && objects.AgentNamespace is not null
                        && !(objects.AgentNamespace.Metadata?.Labels?.ContainsKey(label) ?? false):
                    actions.Add(await RunAsync(finding.AutoFix, $"labelled namespace {target.AgentNamespace} {label}={NamespaceLabelValue}", () => LabelAsync(target.AgentNamespace, label, cancellationToken)).ConfigureAwait(false));
                    break;
            }
        }

        return actions;
    }

    private static async Task<Action> RunAsync(string fix, string description, Func<Task> apply)
    {
        try
        {
            await apply().ConfigureAwait(false);
            return new Action(fix, description, true, null);
        }
        catch (KubeApiException e)
        {
            return new Action(fix, description, false, e.ServerMessage);
        }
    }

    private Task CreateBindingAsync(CancellationToken cancellationToken) =>
        client.CreateAsync(
            KubeResources.ClusterRoleBindings,
            new V1ClusterRoleBinding
            {
                ApiVersion = "rbac.authorization.k8s.io/v1",
                Kind = "ClusterRoleBinding",
                Metadata = new V1ObjectMeta
                {
                    Name = Catalog.AddonClusterAdminBinding,
                    Labels = new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = "guardduty-coverage-operator" },
                },
                Subjects = [new Rbacv1Subject { Kind = "User", Name = Catalog.AddonManagerUser, ApiGroup = "rbac.authorization.k8s.io" }],
                RoleRef = new V1RoleRef { Kind = "ClusterRole", Name = "cluster-admin", ApiGroup = "rbac.authorization.k8s.io" },
            },
            new WriteOptions { FieldManager = FieldManager },
            cancellationToken);

    private Task LabelAsync(string ns, string label, CancellationToken cancellationToken) =>
        client.PatchAsync(
            KubeResources.Namespaces,
            ns,
            null,
            KubePatch.Merge(new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { [label] = NamespaceLabelValue } } }),
            new WriteOptions { FieldManager = FieldManager },
            cancellationToken);
}
