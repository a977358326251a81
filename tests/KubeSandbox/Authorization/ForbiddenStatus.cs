using System.Text.Json.Nodes;
using KubeSandbox.Semantics;

namespace KubeSandbox.Authorization;

/// <summary>The 403 Status kube-apiserver returns when authorization denies a request.</summary>
public static class ForbiddenStatus
{
    /// <summary>
    /// The authorizer's half of the message: <c>User "u" cannot patch resource "priorityclasses" in API group
    /// "scheduling.k8s.io" at the cluster scope</c>, <c>... in the namespace "ns"</c>, or <c>User "u" cannot get path
    /// "/metrics"</c>; <c>&amp;</c>, <c>&lt;</c> and <c>&gt;</c> are HTML-escaped as the server does; a non-empty
    /// <paramref name="reason"/> (the authorizer's) follows after a colon.
    /// </summary>
    public static string Message(AuthorizationAttributes attributes, string reason = "")
    {
        ArgumentNullException.ThrowIfNull(attributes);
        var user = GoFormat.Quote(attributes.User.Name);
        string message;
        if (!attributes.IsResourceRequest)
        {
            message = $"User {user} cannot {attributes.Verb} path {GoFormat.Quote(attributes.Path ?? "")}";
        }
        else
        {
            var resource = string.IsNullOrEmpty(attributes.Subresource) ? attributes.Resource : attributes.Resource + "/" + attributes.Subresource;
            var scope = string.IsNullOrEmpty(attributes.Namespace)
                ? "at the cluster scope"
                : "in the namespace " + GoFormat.Quote(attributes.Namespace);
            message = $"User {user} cannot {attributes.Verb} resource {GoFormat.Quote(resource)} in API group {GoFormat.Quote(attributes.ApiGroup)} {scope}";
        }

        message = message.Replace("&", "&amp;", StringComparison.Ordinal)
            .Replace("<", "&lt;", StringComparison.Ordinal)
            .Replace(">", "&gt;", StringComparison.Ordinal);
        return reason.Length == 0 ? message : message + ": " + reason;
    }

    /// <summary>
    /// The complete Status body, e.g. <c>priorityclasses.scheduling.k8s.io "node-agent.priorityclass" is
    /// forbidden: User "eks:addon-manager" cannot patch resource "priorityclasses" in API group "scheduling.k8s.io" at
    /// the cluster scope</c>, reason Forbidden, code 403, details {name, group, kind = the resource}.
    /// </summary>
    public static JsonObject For(AuthorizationAttributes attributes, string reason = "")
    {
        ArgumentNullException.ThrowIfNull(attributes);
        var group = attributes.IsResourceRequest ? attributes.ApiGroup : "";
        var resource = attributes.IsResourceRequest ? attributes.Resource : "";
        return ApiStatus.Forbidden(group, resource, attributes.Name ?? "", Message(attributes, reason));
    }
}
