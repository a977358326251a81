using System.Text.Json.Nodes;

namespace GuardDutyCoverage.Tests.Deploy;

/// <summary>
/// One permission after expanding a PolicyRule: scope is "cluster" for a ClusterRoleBinding and the namespace for a
/// RoleBinding; ResourceName is "" when the rule is not limited by name.
/// </summary>
public sealed record Permission(string Scope, string ApiGroup, string Resource, string Verb, string ResourceName)
{
    public override string ToString() =>
        $"{Scope}: {Verb} {(ApiGroup.Length == 0 ? "core" : ApiGroup)}/{Resource}{(ResourceName.Length == 0 ? "" : "/" + ResourceName)}";
}

/// <summary>Evaluates RBAC objects the way the authorizer does, to compare what a ServiceAccount may do.</summary>
public static class Rbac
{
    public static readonly string[] ReadVerbs = ["get", "list", "watch"];

    /// <summary>Every permission granted to the ServiceAccount through the rendered bindings.</summary>
    public static IReadOnlySet<Permission> PermissionsOf(Manifests manifests, string serviceAccountNamespace, string serviceAccountName)
    {
        var permissions = new SortedSet<Permission>(Comparer<Permission>.Create((a, b) => string.CompareOrdinal(a.ToString(), b.ToString())));
        foreach (var binding in manifests.Objects.Where(o => Manifests.Kind(o) is "RoleBinding" or "ClusterRoleBinding"))
        {
            var boundHere = binding["subjects"]!.AsArray().Any(s =>
                s!["kind"]!.GetValue<string>() == "ServiceAccount"
                && s["name"]!.GetValue<string>() == serviceAccountName
                && s["namespace"]?.GetValue<string>() == serviceAccountNamespace);
            if (!boundHere)
            {
                continue;
            }

            var roleRef = binding["roleRef"]!;
            var roleKind = roleRef["kind"]!.GetValue<string>();
            var roleName = roleRef["name"]!.GetValue<string>();
            var bindingNamespace = Manifests.Namespace(binding);
            var role = roleKind == "Role"
                ? manifests.Find("Role", roleName, bindingNamespace)
                : manifests.Find("ClusterRole", roleName);
            Assert.True(role is not null, $"{Manifests.Kind(binding)} {Manifests.Name(binding)} refers to a missing {roleKind} {roleName}");
            var scope = Manifests.Kind(binding) == "ClusterRoleBinding" ? "cluster" : bindingNamespace!;
            foreach (var permission in Expand(role!, scope))
            {
                permissions.Add(permission);
            }
        }

        return permissions;
    }

    /// <summary>Permissions of the ClusterRoles carrying an aggregation label, keyed "label=true: permission".</summary>
    public static IReadOnlySet<string> AggregatedPermissions(Manifests manifests)
    {
        var result = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var role in manifests.OfKind("ClusterRole"))
        {
            var labels = role["metadata"]!["labels"] as JsonObject;
            foreach (var (label, value) in labels ?? [])
            {
                if (label.StartsWith("rbac.authorization.k8s.io/aggregate-to-", StringComparison.Ordinal) && value?.GetValue<string>() == "true")
                {
                    foreach (var permission in Expand(role, "cluster"))
                    {
                        result.Add($"{label}: {permission}");
                    }
                }
            }
        }

        return result;
    }

    public static IEnumerable<Permission> Expand(JsonNode role, string scope)
    {
        foreach (var rule in role["rules"]?.AsArray() ?? [])
        {
            var names = Manifests.Strings(rule!["resourceNames"]).DefaultIfEmpty("").ToArray();
            foreach (var group in Manifests.Strings(rule["apiGroups"]))
            {
                foreach (var resource in Manifests.Strings(rule["resources"]))
                {
                    foreach (var verb in Manifests.Strings(rule["verbs"]))
                    {
                        foreach (var name in names)
                        {
                            yield return new Permission(scope, group, resource, verb, name);
                        }
                    }
                }
            }
        }
    }

    /// <summary>Every PolicyRule of every Role and ClusterRole, with the role it belongs to.</summary>
    public static IEnumerable<(JsonObject Role, JsonNode Rule)> AllRules(Manifests manifests) =>
        manifests.Objects.Where(o => Manifests.Kind(o) is "Role" or "ClusterRole")
            .SelectMany(role => (role["rules"]?.AsArray() ?? []).Select(rule => (role, rule!)));

    /// <summary>No Role or ClusterRole grants "*" in any field.</summary>
    public static void AssertNoWildcards(Manifests manifests)
    {
        var rules = AllRules(manifests).ToArray();
        Assert.NotEmpty(rules);
        foreach (var (role, rule) in rules)
        {
            foreach (var field in new[] { "verbs", "resources", "apiGroups", "resourceNames", "nonResourceURLs" })
            {
                Assert.False(
                    Manifests.Strings(rule[field]).Any(value => value.Contains('*')),
                    $"{Manifests.Kind(role)} {Manifests.Name(role)} has a wildcard in {field}: {rule.ToJsonString()}");
            }
        }
    }

    public static IReadOnlyList<string> Lines(IEnumerable<Permission> permissions) =>
        permissions.Select(p => p.ToString()).Order(StringComparer.Ordinal).ToArray();
}
