using System.Text.Json.Nodes;
using KubeSandbox;
using KubeSandbox.Authorization;
using KubeSandbox.Testing;

namespace GuardDutyCoverage.Tests.Sandbox.Authorization;

internal static class RbacFixtures
{
    /// <summary>A store holding the bootstrap policy with aggregation applied, as a fresh cluster has it.</summary>
    public static InMemoryObjectReader BootstrappedCluster(params JsonObject[] extra)
    {
        var cluster = new InMemoryObjectReader([.. BootstrapPolicy.ClusterRoles(), .. BootstrapPolicy.ClusterRoleBindings(), .. extra]);
        foreach (var updated in ClusterRoleAggregator.Reconcile(cluster))
        {
            cluster.Upsert(updated);
        }

        return cluster;
    }

    public static JsonObject ClusterRole(string name, JsonArray rules, IReadOnlyDictionary<string, string>? labels = null) =>
        Object("ClusterRole", name, null, labels, ("rules", rules));

    public static JsonObject Role(string @namespace, string name, JsonArray rules) =>
        Object("Role", name, @namespace, null, ("rules", rules));

    public static JsonObject ClusterRoleBinding(string name, string roleName, params JsonObject[] subjects) =>
        Object("ClusterRoleBinding", name, null, null, ("roleRef", RoleRef("ClusterRole", roleName)), ("subjects", new JsonArray(subjects)));

    public static JsonObject RoleBinding(string @namespace, string name, string roleKind, string roleName, params JsonObject[] subjects) =>
        Object("RoleBinding", name, @namespace, null, ("roleRef", RoleRef(roleKind, roleName)), ("subjects", new JsonArray(subjects)));

    public static JsonObject User(string name) => new() { ["kind"] = "User", ["apiGroup"] = RbacAuthorizer.RbacGroup, ["name"] = name };

    public static JsonObject Group(string name) => new() { ["kind"] = "Group", ["apiGroup"] = RbacAuthorizer.RbacGroup, ["name"] = name };

    public static JsonObject ServiceAccount(string name, string? @namespace = null)
    {
        var subject = new JsonObject { ["kind"] = "ServiceAccount", ["name"] = name };
        if (@namespace is not null)
        {
            subject["namespace"] = @namespace;
        }

        return subject;
    }

    public static JsonObject Rule(string[] verbs, string[]? apiGroups = null, string[]? resources = null, string[]? resourceNames = null, string[]? nonResourceUrls = null)
    {
        var rule = new JsonObject { ["verbs"] = Strings(verbs) };
        if (apiGroups is not null)
        {
            rule["apiGroups"] = Strings(apiGroups);
        }

        if (resources is not null)
        {
            rule["resources"] = Strings(resources);
        }

        if (resourceNames is not null)
        {
            rule["resourceNames"] = Strings(resourceNames);
        }

        if (nonResourceUrls is not null)
        {
            rule["nonResourceURLs"] = Strings(nonResourceUrls);
        }

        return rule;
    }

    public static AuthorizationAttributes Request(UserInfo user, string verb, string group, string resource, string? subresource = null, string? @namespace = null, string? name = null) =>
        new(user, verb, group, resource, subresource, @namespace, name);

    public static UserInfo AUser(string name, params string[] groups) => new(name, groups);

    private static JsonArray Strings(string[] values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);

    private static JsonObject RoleRef(string kind, string name) => new() { ["apiGroup"] = RbacAuthorizer.RbacGroup, ["kind"] = kind, ["name"] = name };

    private static JsonObject Object(string kind, string name, string? @namespace, IReadOnlyDictionary<string, string>? labels, params (string Name, JsonNode Value)[] members)
    {
        var metadata = new JsonObject { ["name"] = name };
        if (@namespace is not null)
        {
            metadata["namespace"] = @namespace;
        }

        if (labels is not null)
        {
            metadata["labels"] = new JsonObject([.. labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)JsonValue.Create(l.Value)))]);
        }

        var obj = new JsonObject { ["apiVersion"] = "rbac.authorization.k8s.io/v1", ["kind"] = kind, ["metadata"] = metadata };
        foreach (var (memberName, value) in members)
        {
            obj[memberName] = value;
        }

        return obj;
    }
}
