using System.Text.Json.Nodes;
using KubeSandbox.Semantics;

namespace KubeSandbox.Authorization;

/// <summary>
/// kube-apiserver's authorizer chain as the sandbox runs it (<c>--authorization-mode=RBAC</c>): members of
/// <c>system:masters</c> are allowed by the privileged-group authorizer (no reason), everyone else by RBAC over the
/// ClusterRoles, Roles, ClusterRoleBindings and RoleBindings currently stored.
/// </summary>
/// <remarks>
/// Evaluation follows the RBAC authorizer: ClusterRoleBindings first, then the RoleBindings of the request's namespace;
/// the first rule that allows wins and names its binding in the reason. A binding whose role is missing contributes a
/// resolution error, reported in the reason of a denial (<c>RBAC: clusterrole.rbac.authorization.k8s.io "x" not found</c>).
/// Bindings are visited in name order (the real informer cache is unordered, so any order is faithful; this one is
/// deterministic).
/// </remarks>
public sealed class RbacAuthorizer(IObjectReader cluster) : IAuthorizer
{
    public const string RbacGroup = "rbac.authorization.k8s.io";

    /// <summary>The group kube-apiserver always authorizes (its superuser group).</summary>
    public const string SuperuserGroup = "system:masters";

    public AuthorizationDecision Authorize(AuthorizationAttributes attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        if (attributes.User.Groups.Contains(SuperuserGroup, StringComparer.Ordinal))
        {
            return new AuthorizationDecision(true, "");
        }

        var errors = new List<string>();
        foreach (var (binding, subject) in Applicable(cluster.List(RbacGroup, "clusterrolebindings"), attributes.User, bindingNamespace: ""))
        {
            if (Visit(binding, subject, attributes, bindingNamespace: "", errors) is { } allowed)
            {
                return allowed;
            }
        }

        if (!string.IsNullOrEmpty(attributes.Namespace))
        {
            foreach (var (binding, subject) in Applicable(cluster.List(RbacGroup, "rolebindings", attributes.Namespace), attributes.User, attributes.Namespace))
            {
                if (Visit(binding, subject, attributes, attributes.Namespace, errors) is { } allowed)
                {
                    return allowed;
                }
            }
        }

        return new AuthorizationDecision(false, errors.Count == 0 ? "" : "RBAC: " + Aggregate(errors));
    }

    /// <summary>The bindings naming the user (with the first subject that does), in name order.</summary>
    private static IEnumerable<(JsonObject Binding, JsonObject Subject)> Applicable(IReadOnlyList<JsonObject> bindings, UserInfo user, string bindingNamespace)
    {
        var applicable = new List<(JsonObject Binding, JsonObject Subject)>();
        foreach (var binding in bindings)
        {
            if (FirstSubjectFor(user, binding["subjects"] as JsonArray, bindingNamespace) is { } subject)
            {
                applicable.Add((binding, subject));
            }
        }

        return applicable.Count < 2 ? applicable : applicable.OrderBy(a => JsonRead.Name(a.Binding), StringComparer.Ordinal);
    }

    private AuthorizationDecision? Visit(JsonObject binding, JsonObject subject, AuthorizationAttributes attributes, string bindingNamespace, List<string> errors)
    {
        var roleRef = binding["roleRef"] as JsonObject;
        var roleKind = JsonRead.String(roleRef?["kind"]) ?? "";
        var roleName = JsonRead.String(roleRef?["name"]) ?? "";
        var rules = RoleRules(roleKind, roleName, bindingNamespace, out var error);
        if (error is not null)
        {
            errors.Add(error);
            return null;
        }

        foreach (var rule in rules)
        {
            if (rule.Allows(attributes))
            {
                var bindingName = JsonRead.Name(binding);
                var source = bindingNamespace.Length == 0
                    ? $"ClusterRoleBinding {GoFormat.Quote(bindingName)}"
                    : $"RoleBinding {GoFormat.Quote(bindingName + "/" + bindingNamespace)}";
                var reason = $"RBAC: allowed by {source} of {roleKind} {GoFormat.Quote(roleName)} to {DescribeSubject(subject, bindingNamespace)}";
                return new AuthorizationDecision(true, reason);
            }
        }

        return null;
    }

    private IReadOnlyList<PolicyRule> RoleRules(string kind, string name, string bindingNamespace, out string? error)
    {
        error = null;
        switch (kind)
        {
            case "Role":
                var role = cluster.Get(RbacGroup, "roles", bindingNamespace, name);
                if (role is null)
                {
                    error = $"role.rbac.authorization.k8s.io {GoFormat.Quote(name)} not found";
                    return [];
                }

                return PolicyRule.ListFrom(role["rules"]);
            case "ClusterRole":
                var clusterRole = cluster.Get(RbacGroup, "clusterroles", null, name);
                if (clusterRole is null)
                {
                    error = $"clusterrole.rbac.authorization.k8s.io {GoFormat.Quote(name)} not found";
                    return [];
                }

                return PolicyRule.ListFrom(clusterRole["rules"]);
            default:
                error = $"unsupported role reference kind: {GoFormat.Quote(kind)}";
                return [];
        }
    }

    private static JsonObject? FirstSubjectFor(UserInfo user, JsonArray? subjects, string bindingNamespace)
    {
        if (subjects is null)
        {
            return null;
        }

        foreach (var node in subjects)
        {
            if (node is JsonObject subject && AppliesTo(user, subject, bindingNamespace))
            {
                return subject;
            }
        }

        return null;
    }

    private static bool AppliesTo(UserInfo user, JsonObject subject, string bindingNamespace)
    {
        var name = JsonRead.String(subject["name"]) ?? "";
        switch (JsonRead.String(subject["kind"]))
        {
            case "User":
                return user.Name == name;
            case "Group":
                return user.Groups.Contains(name, StringComparer.Ordinal);
            case "ServiceAccount":
                // A RoleBinding may name a ServiceAccount of its own namespace without a namespace.
                var saNamespace = JsonRead.String(subject["namespace"]) is { Length: > 0 } ns ? ns : bindingNamespace;
                return saNamespace.Length > 0 && user.Name == ServiceAccountUsers.UserName(saNamespace, name);
            default:
                return false;
        }
    }

    private static string DescribeSubject(JsonObject subject, string bindingNamespace)
    {
        var kind = JsonRead.String(subject["kind"]) ?? "";
        var name = JsonRead.String(subject["name"]) ?? "";
        if (kind == "ServiceAccount")
        {
            var ns = JsonRead.String(subject["namespace"]) is { Length: > 0 } explicitNamespace ? explicitNamespace : bindingNamespace;
            return $"{kind} {GoFormat.Quote(name + "/" + ns)}";
        }

        return $"{kind} {GoFormat.Quote(name)}";
    }

    /// <summary>utilerrors.NewAggregate(...).Error(): one message as is, several de-duplicated in brackets.</summary>
    internal static string Aggregate(IReadOnlyList<string> errors)
    {
        var distinct = errors.Distinct(StringComparer.Ordinal).ToList();
        return distinct.Count == 1 ? distinct[0] : "[" + string.Join(", ", distinct) + "]";
    }
}
