using System.Text.Json.Nodes;
using KubeSandbox.Authorization;
using KubeSandbox.Semantics;

namespace KubeSandbox.Admission;

/// <summary>Which resource and kind a webhook is called for (the request's own, or an equivalent it matched).</summary>
internal sealed record WebhookInvocation(AdmissionWebhook Webhook, RequestAttributes Attributes, bool ThroughEquivalent);

/// <summary>Either "call it" (<see cref="Invocation"/>), "skip it" (both null) or "fail the request" (<see cref="Error"/>).</summary>
internal readonly record struct MatchResult(WebhookInvocation? Invocation, JsonObject? Error);

/// <summary>
/// The labels of the namespace a request is about, looked up at most once per request: the passed Namespace object
/// if it is that namespace, else the store; a missing namespace is the 404 kube-apiserver returns.
/// </summary>
internal sealed class NamespaceLabelSource(JsonObject? namespaceObject, IObjectReader cluster)
{
    private readonly Dictionary<string, (IReadOnlyDictionary<string, string>? Labels, JsonObject? Error)> cache = new(StringComparer.Ordinal);

    public (IReadOnlyDictionary<string, string>? Labels, JsonObject? Error) For(string name)
    {
        if (!cache.TryGetValue(name, out var found))
        {
            var ns = namespaceObject is not null && JsonRead.Name(namespaceObject) == name
                ? namespaceObject
                : cluster.Get("", "namespaces", null, name);
            found = ns is null ? (null, ApiStatus.NotFound("", "namespaces", name)) : (JsonRead.Labels(ns), null);
            cache[name] = found;
        }

        return found;
    }
}

/// <summary>kube-apiserver's ShouldCallHook: namespaceSelector, objectSelector, then rules (exact, then equivalent resources).</summary>
internal static class WebhookMatcher
{
    public static MatchResult Match(
        AdmissionWebhook webhook,
        RequestAttributes attributes,
        NamespaceLabelSource namespaces,
        IReadOnlyList<ResourceInfo> equivalents)
    {
        var (namespaceMatches, namespaceError) = MatchNamespaceSelector(webhook, attributes, namespaces);
        if (!namespaceMatches && namespaceError is null)
        {
            return default;
        }

        var (objectMatches, objectError) = MatchObjectSelector(webhook, attributes);
        if (!objectMatches && objectError is null)
        {
            return default;
        }

        WebhookInvocation? invocation = null;
        if (webhook.Rules.Any(rule => RuleMatches(rule, attributes)))
        {
            invocation = new WebhookInvocation(webhook, attributes, false);
        }
        else if (webhook.MatchEquivalent)
        {
            // Earlier rules are honoured first; each rule is tried against every equivalent resource.
            foreach (var rule in webhook.Rules)
            {
                foreach (var equivalent in equivalents)
                {
                    if (equivalent.Group == attributes.Group && equivalent.Version == attributes.Version && equivalent.Resource == attributes.Resource)
                    {
                        continue;
                    }

                    var viaEquivalent = attributes.As(equivalent);
                    if (RuleMatches(rule, viaEquivalent))
                    {
                        invocation = new WebhookInvocation(webhook, viaEquivalent, true);
                        break;
                    }
                }

                if (invocation is not null)
                {
                    break;
                }
            }
        }

        if (invocation is null)
        {
            return default;
        }

        return namespaceError is not null ? new MatchResult(null, namespaceError)
            : objectError is not null ? new MatchResult(null, objectError)
            : new MatchResult(invocation, null);
    }

    internal static bool RuleMatches(WebhookRule rule, RequestAttributes attributes) =>
        ScopeMatches(rule.Scope, attributes)
        && rule.Operations.Any(op => op == "*" || op == attributes.Operation)
        && ExactOrWildcard(rule.ApiGroups, attributes.Group)
        && ExactOrWildcard(rule.ApiVersions, attributes.Version)
        && ResourceMatches(rule.Resources, attributes.Resource, attributes.Subresource);

    private static bool ScopeMatches(string? scope, RequestAttributes attributes) => scope switch
    {
        null or "*" => true,
        // A Namespace object is cluster-scoped even though its requests carry a namespace (its own name).
        "Namespaced" => !attributes.IsNamespaceObject && attributes.Namespace.Length > 0,
        "Cluster" => attributes.IsNamespaceObject || attributes.Namespace.Length == 0,
        _ => false,
    };

    private static bool ExactOrWildcard(IReadOnlyList<string> items, string requested) => items.Any(item => item == "*" || item == requested);

    private static bool ResourceMatches(IReadOnlyList<string> resources, string resource, string subresource)
    {
        foreach (var entry in resources)
        {
            var slash = entry.IndexOf('/', StringComparison.Ordinal);
            var (ruleResource, ruleSubresource) = slash < 0 ? (entry, "") : (entry[..slash], entry[(slash + 1)..]);
            if ((ruleResource == "*" || ruleResource == resource) && (ruleSubresource == "*" || ruleSubresource == subresource))
            {
                return true;
            }
        }

        return false;
    }

    private static (bool Matches, JsonObject? Error) MatchNamespaceSelector(AdmissionWebhook webhook, RequestAttributes attributes, NamespaceLabelSource namespaces)
    {
        // Cluster-scoped requests other than on Namespaces are never exempted by a namespaceSelector.
        if (attributes.Namespace.Length == 0 && attributes.Resource != "namespaces")
        {
            return (true, null);
        }

        LabelSelector selector;
        try
        {
            selector = LabelSelector.Parse(webhook.NamespaceSelector);
        }
        catch (InvalidLabelSelectorException e)
        {
            return (false, ApiStatus.InternalError(e.Message));
        }

        if (selector.IsEmpty)
        {
            return (true, null);
        }

        // Creating or updating a Namespace: its labels are the ones in the request, not the stored ones.
        if (attributes.Resource == "namespaces" && attributes.Subresource.Length == 0 && attributes.Operation is "CREATE" or "UPDATE")
        {
            return (selector.Matches(JsonRead.Labels(attributes.Object)), null);
        }

        var (labels, error) = namespaces.For(attributes.Namespace);
        return error is not null ? (false, error) : (selector.Matches(labels!), null);
    }

    private static (bool Matches, JsonObject? Error) MatchObjectSelector(AdmissionWebhook webhook, RequestAttributes attributes)
    {
        LabelSelector selector;
        try
        {
            selector = LabelSelector.Parse(webhook.ObjectSelector);
        }
        catch (InvalidLabelSelectorException e)
        {
            return (false, ApiStatus.InternalError(e.Message));
        }

        if (selector.IsEmpty)
        {
            return (true, null);
        }

        return ((attributes.Object is not null && selector.Matches(JsonRead.Labels(attributes.Object)))
            || (attributes.OldObject is not null && selector.Matches(JsonRead.Labels(attributes.OldObject))), null);
    }
}
