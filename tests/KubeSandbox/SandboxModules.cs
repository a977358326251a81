using KubeSandbox.Admission;
using KubeSandbox.Authorization;

namespace KubeSandbox;

/// <summary>The factories of the cluster-aware modules a <see cref="SandboxServer"/> plugs in by default.</summary>
public static class SandboxModules
{
    /// <summary>kube-apiserver's <c>--authorization-mode=RBAC</c> over the live cluster (<see cref="RbacAuthorizer"/>).</summary>
    public static IAuthorizer Rbac(SandboxModuleContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new RbacAuthorizer(context.Cluster);
    }

    /// <summary>
    /// The MutatingAdmissionWebhook and ValidatingAdmissionWebhook plugins over the stored webhook configurations
    /// (<see cref="WebhookAdmissionChain"/>); webhooks referenced through a Service are reached at the loopback address
    /// of its Endpoints (<see cref="EndpointsServiceResolver"/>).
    /// </summary>
    /// <summary>
    /// kube-apiserver's admission as a cluster has it (<see cref="BuiltinAdmissionChain"/>): LimitRanger,
    /// ServiceAccount, TaintNodesByCondition, Priority, DefaultTolerationSeconds, PodSecurity and ResourceQuota
    /// around the webhooks of <see cref="Webhooks"/>. Quota usage is written back through the context's writer.
    /// </summary>
    public static IAdmissionChain DefaultAdmission(SandboxModuleContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new BuiltinAdmissionChain(Webhooks(context), context.Writer);
    }

    public static IAdmissionChain Webhooks(SandboxModuleContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new WebhookAdmissionChain(new WebhookAdmissionOptions
        {
            TimeProvider = context.Time,
            ServiceResolver = EndpointsServiceResolver.For(context.Cluster),
        });
    }
}
