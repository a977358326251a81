using System.Text.Json.Nodes;
using KubeSandbox.Admission;

namespace KubeSandbox.Authorization;

/// <summary>
/// kube-controller-manager's ClusterRole aggregation controller, run synchronously: every ClusterRole with an
/// <c>aggregationRule</c> gets as <c>rules</c> the de-duplicated rules of the ClusterRoles its
/// <c>clusterRoleSelectors</c> select (selector by selector, each selection in name order, itself excluded).
/// </summary>
/// <remarks>
/// The server calls <see cref="Reconcile"/> after every ClusterRole create/update/patch/delete (and after loading
/// <see cref="BootstrapPolicy"/>), and writes each returned object back as an update by
/// <see cref="FieldManager"/>. Aggregations that feed each other (view → edit → admin) are resolved to a fixed point
/// here, so one call leaves the store consistent.
/// </remarks>
public static class ClusterRoleAggregator
{
    /// <summary>The field manager the real controller applies with.</summary>
    public const string FieldManager = "clusterrole-aggregation-controller";

    /// <summary>Returns the ClusterRoles whose <c>rules</c> must change: deep copies of the stored objects with the new rules.</summary>
    public static IReadOnlyList<JsonObject> Reconcile(IObjectReader cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var roles = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var role in cluster.List(RbacAuthorizer.RbacGroup, "clusterroles"))
        {
            roles[JsonRead.Name(role)] = role;
        }

        var changed = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        // Each pass can only propagate rules one aggregation level further; more passes than roles means a cycle
        // that keeps changing, which cannot happen with monotone unions but is bounded anyway.
        for (var pass = 0; pass <= roles.Count; pass++)
        {
            var progressed = false;
            foreach (var (name, role) in roles.ToList())
            {
                if (role["aggregationRule"] is not JsonObject aggregationRule)
                {
                    continue;
                }

                List<PolicyRule> aggregated;
                try
                {
                    aggregated = Aggregate(name, aggregationRule, roles.Values);
                }
                catch (InvalidLabelSelectorException)
                {
                    // The real controller logs and retries the key; the role keeps its rules.
                    continue;
                }

                var current = PolicyRule.ListFrom(role["rules"]);
                if (current.Count == aggregated.Count && current.Zip(aggregated).All(pair => pair.First.SemanticallyEquals(pair.Second)))
                {
                    continue;
                }

                var updated = changed.TryGetValue(name, out var copy) ? copy : role.DeepClone().AsObject();
                updated["rules"] = aggregated.Count == 0 ? null : new JsonArray([.. aggregated.Select(r => (JsonNode)r.ToJson())]);
                changed[name] = updated;
                roles[name] = updated;
                progressed = true;
            }

            if (!progressed)
            {
                break;
            }
        }

        return [.. changed.Values];
    }

    private static List<PolicyRule> Aggregate(string name, JsonObject aggregationRule, IEnumerable<JsonObject> roles)
    {
        var rules = new List<PolicyRule>();
        if (aggregationRule["clusterRoleSelectors"] is not JsonArray selectors)
        {
            return rules;
        }

        foreach (var selectorNode in selectors)
        {
            var selector = LabelSelector.Parse(selectorNode);
            foreach (var role in roles.Where(r => selector.Matches(JsonRead.Labels(r))).OrderBy(JsonRead.Name, StringComparer.Ordinal))
            {
                if (JsonRead.Name(role) == name)
                {
                    continue;
                }

                foreach (var rule in PolicyRule.ListFrom(role["rules"]))
                {
                    if (!rules.Any(existing => existing.SemanticallyEquals(rule)))
                    {
                        rules.Add(rule);
                    }
                }
            }
        }

        return rules;
    }
}
