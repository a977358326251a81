using System.Text.Json.Nodes;
using KubeSandbox.Json;

namespace KubeSandbox.Admission;

/// <summary>
/// kube-apiserver v1.24's default admission plugins that matter for a node agent's DaemonSet and pods, in the server's order, around
/// the webhook chain. Mutating: LimitRanger, ServiceAccount, TaintNodesByCondition, Priority,
/// DefaultTolerationSeconds, then MutatingAdmissionWebhook. Validating: LimitRanger, PodSecurity, then
/// ValidatingAdmissionWebhook, then ResourceQuota last (k8s-golden 97-110). So a LimitRange refusal comes before Pod
/// Security's warning is computed (108 has no Warning header) while a quota refusal carries it (106). Denials are 403
/// Forbidden Statuses named after the object (<c>pods "x" is forbidden: ...</c>). Quota usage is charged to
/// <c>status.used</c> through <see cref="IObjectWriter"/> (never for dry-run).
/// </summary>
public sealed class BuiltinAdmissionChain : IAdmissionChain, IAsyncDisposable, IDisposable
{
    private readonly IAdmissionChain? _webhooks;
    private readonly IObjectWriter? _writer;
    private readonly Lock _quota = new();

    /// <param name="webhooks">The webhook phases (null: none).</param>
    /// <param name="writer">Where the quota plugin writes usage (null: usage is checked but never charged).</param>
    public BuiltinAdmissionChain(IAdmissionChain? webhooks, IObjectWriter? writer)
    {
        _webhooks = webhooks;
        _writer = writer;
    }

    public async Task<AdmissionOutcome> MutateAsync(AdmissionRequestContext request, IObjectReader cluster, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(cluster);
        JsonObject? mutated = null;
        if (request.Operation == "CREATE" && request.Subresource is null && request.Object is { } obj)
        {
            if (IsCore(request, "pods") && request.Namespace is { } ns)
            {
                var pod = obj.DeepClone().AsObject();
                LimitRanger.Default(pod, cluster.List(string.Empty, "limitranges", ns));
                var refusal = PodAdmissionPlugins.ServiceAccount(pod, ns, cluster) ?? PodAdmissionPlugins.Priority(pod, cluster);
                if (refusal is not null)
                {
                    return Forbidden(request, refusal, []);
                }

                PodAdmissionPlugins.DefaultTolerationSeconds(pod);
                mutated = pod;
            }
            else if (IsCore(request, "nodes"))
            {
                mutated = obj.DeepClone().AsObject();
                PodAdmissionPlugins.TaintNewNode(mutated);
            }
        }

        if (mutated is not null && JsonNode.DeepEquals(mutated, request.Object))
        {
            mutated = null;
        }

        if (_webhooks is null)
        {
            return new AdmissionOutcome(true, mutated, 200, null);
        }

        var outcome = await _webhooks.MutateAsync(mutated is null ? request : request with { Object = mutated }, cluster, cancellationToken).ConfigureAwait(false);
        return outcome.Allowed && outcome.MutatedObject is null && mutated is not null ? outcome with { MutatedObject = mutated } : outcome;
    }

    public async Task<AdmissionOutcome> ValidateAsync(AdmissionRequestContext request, IObjectReader cluster, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(cluster);
        var warnings = new List<string>();
        if (request.Operation == "CREATE" && request.Subresource is null && request.Object is { } pod && IsCore(request, "pods") && request.Namespace is { } ns)
        {
            var errors = LimitRanger.Validate(pod, cluster.List(string.Empty, "limitranges", ns));
            if (errors.Count > 0)
            {
                return Forbidden(request, LimitRanger.Aggregate(errors), warnings);
            }
        }

        if (PodSecurityAdmission.Validate(request) is { } podSecurity)
        {
            if (!podSecurity.Allowed)
            {
                return podSecurity;
            }

            warnings.AddRange(podSecurity.Warnings ?? []);
        }

        if (_webhooks is not null)
        {
            var outcome = await _webhooks.ValidateAsync(request, cluster, cancellationToken).ConfigureAwait(false);
            warnings.AddRange(outcome.Warnings ?? []);
            if (!outcome.Allowed)
            {
                return outcome with { Warnings = warnings };
            }
        }

        if (QuotaApplies(request))
        {
            lock (_quota)
            {
                var decision = ResourceQuotaAdmission.Evaluate(request.Resource, request.Object!, cluster.List(string.Empty, "resourcequotas", request.Namespace));
                if (!decision.Allowed)
                {
                    return Forbidden(request, decision.Denial!, warnings);
                }

                if (!request.DryRun && _writer is not null)
                {
                    foreach (var (quota, used) in decision.Charged)
                    {
                        var charged = quota.DeepClone().AsObject();
                        if (charged["status"] is not JsonObject status)
                        {
                            status = [];
                            charged["status"] = status;
                        }

                        status["used"] = used;
                        _writer.Upsert(charged);
                    }
                }
            }
        }

        return new AdmissionOutcome(true, null, 200, null, warnings.Count == 0 ? null : warnings);
    }

    /// <summary>Creates of namespaced objects (not namespaces themselves, not subresources) are counted.</summary>
    private static bool QuotaApplies(AdmissionRequestContext request) =>
        request.Operation == "CREATE" && request.Subresource is null && request.Object is not null && !string.IsNullOrEmpty(request.Namespace) && request.Resource.Namespaced;

    private static bool IsCore(AdmissionRequestContext request, string resource) =>
        request.Resource.Group.Length == 0 && request.Resource.Resource == resource;

    private static AdmissionOutcome Forbidden(AdmissionRequestContext request, string message, IReadOnlyList<string> warnings) =>
        new(false, null, 403, PodSecurityAdmission.ForbiddenStatus(
            $"{request.Resource.Resource}{(request.Resource.Group.Length == 0 ? string.Empty : "." + request.Resource.Group)} {PodSecurityAdmission.GoQuote(request.Name)} is forbidden: {message}",
            request.Name,
            request.Resource), warnings.Count == 0 ? null : warnings);

    public async ValueTask DisposeAsync()
    {
        if (_webhooks is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync().ConfigureAwait(false);
        }
        else if (_webhooks is IDisposable disposable)
        {
            disposable.Dispose();
        }
    }

    public void Dispose()
    {
        if (_webhooks is IDisposable disposable)
        {
            disposable.Dispose();
        }
    }
}
