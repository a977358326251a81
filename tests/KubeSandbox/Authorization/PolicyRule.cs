using System.Text.Json.Nodes;

namespace KubeSandbox.Authorization;

/// <summary>An rbac/v1 PolicyRule and the matching rules of kube-apiserver's RBAC authorizer (rbac/v1 evaluation helpers).</summary>
internal sealed record PolicyRule(
    IReadOnlyList<string> Verbs,
    IReadOnlyList<string> ApiGroups,
    IReadOnlyList<string> Resources,
    IReadOnlyList<string> ResourceNames,
    IReadOnlyList<string> NonResourceUrls)
{
    private const string All = "*";

    public static PolicyRule From(JsonObject rule) => new(
        JsonRead.Strings(rule["verbs"]),
        JsonRead.Strings(rule["apiGroups"]),
        JsonRead.Strings(rule["resources"]),
        JsonRead.Strings(rule["resourceNames"]),
        JsonRead.Strings(rule["nonResourceURLs"]));

    public static IReadOnlyList<PolicyRule> ListFrom(JsonNode? rules)
    {
        if (rules is not JsonArray array)
        {
            return [];
        }

        var result = new List<PolicyRule>(array.Count);
        foreach (var item in array)
        {
            if (item is JsonObject rule)
            {
                result.Add(From(rule));
            }
        }

        return result;
    }

    /// <summary>The rule as the API server serializes it: verbs always, the other lists only when non-empty.</summary>
    public JsonObject ToJson()
    {
        var rule = new JsonObject { ["verbs"] = Array(Verbs) };
        AddIfAny(rule, "apiGroups", ApiGroups);
        AddIfAny(rule, "resources", Resources);
        AddIfAny(rule, "resourceNames", ResourceNames);
        AddIfAny(rule, "nonResourceURLs", NonResourceUrls);
        return rule;
    }

    /// <summary>apimachinery's semantic equality: same lists in the same order, nil and empty alike.</summary>
    public bool SemanticallyEquals(PolicyRule other) =>
        Verbs.SequenceEqual(other.Verbs, StringComparer.Ordinal)
        && ApiGroups.SequenceEqual(other.ApiGroups, StringComparer.Ordinal)
        && Resources.SequenceEqual(other.Resources, StringComparer.Ordinal)
        && ResourceNames.SequenceEqual(other.ResourceNames, StringComparer.Ordinal)
        && NonResourceUrls.SequenceEqual(other.NonResourceUrls, StringComparer.Ordinal);

    public bool Allows(AuthorizationAttributes request)
    {
        if (request.IsResourceRequest)
        {
            var subresource = request.Subresource ?? "";
            var combined = subresource.Length > 0 ? request.Resource + "/" + subresource : request.Resource;
            return VerbMatches(request.Verb)
                && ApiGroupMatches(request.ApiGroup)
                && ResourceMatches(combined, subresource)
                && ResourceNameMatches(request.Name ?? "");
        }

        return VerbMatches(request.Verb) && NonResourceUrlMatches(request.Path ?? "");
    }

    private bool VerbMatches(string verb) => Verbs.Any(v => v == All || v == verb);

    private bool ApiGroupMatches(string group) => ApiGroups.Any(g => g == All || g == group);

    private bool ResourceMatches(string combinedResource, string subresource)
    {
        foreach (var resource in Resources)
        {
            if (resource == All || resource == combinedResource)
            {
                return true;
            }

            // "*/status" grants a subresource of every resource.
            if (subresource.Length > 0
                && resource.Length == subresource.Length + 2
                && resource.StartsWith("*/", StringComparison.Ordinal)
                && resource.EndsWith(subresource, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    // A rule with resourceNames never matches a request without a name (list, create, deletecollection).
    private bool ResourceNameMatches(string name) => ResourceNames.Count == 0 || ResourceNames.Contains(name, StringComparer.Ordinal);

    private bool NonResourceUrlMatches(string path)
    {
        foreach (var url in NonResourceUrls)
        {
            if (url == All || url == path)
            {
                return true;
            }

            if (url.EndsWith('*') && path.StartsWith(url.TrimEnd('*'), StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static JsonArray Array(IReadOnlyList<string> values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);

    private static void AddIfAny(JsonObject rule, string name, IReadOnlyList<string> values)
    {
        if (values.Count > 0)
        {
            rule[name] = Array(values);
        }
    }
}
