using System.Text.Json.Nodes;
using KubeSandbox;
using KubeSandbox.Authorization;
using KubeSandbox.Testing;
using static GuardDutyCoverage.Tests.Sandbox.Authorization.RbacFixtures;

namespace GuardDutyCoverage.Tests.Sandbox.Authorization;

public sealed class ClusterRoleAggregatorTests
{
    private static readonly Dictionary<string, string> AggregateToView = new() { ["rbac.authorization.k8s.io/aggregate-to-view"] = "true" };

    [Fact]
    public void Bootstrap_aggregation_fills_view_edit_and_admin_transitively()
    {
        var cluster = new InMemoryObjectReader([.. BootstrapPolicy.ClusterRoles()]);

        var changed = ClusterRoleAggregator.Reconcile(cluster);

        Assert.Equal(["admin", "edit", "view"], changed.Select(r => r["metadata"]!["name"]!.GetValue<string>()));
        var rules = changed.ToDictionary(r => r["metadata"]!["name"]!.GetValue<string>(), r => r["rules"]!.AsArray().Select(n => n!.Text()).ToList());
        var aggregateToView = cluster.Get(RbacAuthorizer.RbacGroup, "clusterroles", null, "system:aggregate-to-view")!["rules"]!.AsArray().Select(n => n!.Text()).ToList();
        Assert.Equal(aggregateToView, rules["view"]);
        Assert.True(rules["view"].All(rules["edit"].Contains));
        Assert.True(rules["edit"].All(rules["admin"].Contains));
        Assert.Contains(Rule(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews"]).Text(), rules["admin"]);
        Assert.DoesNotContain(Rule(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews"]).Text(), rules["edit"]);
    }

    [Fact]
    public void Returned_objects_are_copies_and_a_second_reconcile_changes_nothing()
    {
        var cluster = new InMemoryObjectReader([.. BootstrapPolicy.ClusterRoles()]);

        var first = ClusterRoleAggregator.Reconcile(cluster);
        Assert.Null(cluster.Get(RbacAuthorizer.RbacGroup, "clusterroles", null, "view")!["rules"]);
        foreach (var role in first)
        {
            cluster.Upsert(role);
        }

        Assert.Empty(ClusterRoleAggregator.Reconcile(cluster));
    }

    [Fact]
    public void An_aggregate_to_view_role_lets_view_users_read_guarddutycoverages()
    {
        var chartRole = ClusterRole(
            "guardduty-coverage-view",
            [Rule(["get", "list", "watch"], ["coverage.guardduty.io"], ["guarddutycoverages", "guarddutycoverages/status"])],
            AggregateToView);
        var cluster = BootstrappedCluster(ClusterRoleBinding("auditors-view", "view", Group("auditors")));
        var auditor = AUser("dana", "auditors", "system:authenticated");
        var authorizer = new RbacAuthorizer(cluster);
        var getCoverage = Request(auditor, "get", "coverage.guardduty.io", "guarddutycoverages", name: "prod-eks-1");
        Assert.False(authorizer.Authorize(getCoverage).Allowed);

        cluster.Upsert(chartRole);
        foreach (var updated in ClusterRoleAggregator.Reconcile(cluster))
        {
            cluster.Upsert(updated);
        }

        Assert.Equal(
            new AuthorizationDecision(true, "RBAC: allowed by ClusterRoleBinding \"auditors-view\" of ClusterRole \"view\" to Group \"auditors\""),
            authorizer.Authorize(getCoverage));
        Assert.False(authorizer.Authorize(getCoverage with { Verb = "patch" }).Allowed);
        // view feeds edit and edit feeds admin, so the new rule reaches them too.
        var admin = cluster.Get(RbacAuthorizer.RbacGroup, "clusterroles", null, "admin")!["rules"]!.AsArray();
        Assert.Contains(admin, r => r!["resources"]!.AsArray().Any(x => x!.GetValue<string>() == "guarddutycoverages"));
    }

    [Fact]
    public void Removing_the_label_takes_the_rules_away_again()
    {
        var labelled = ClusterRole("extra", [Rule(["get"], ["example.com"], ["widgets"])], AggregateToView);
        var cluster = BootstrappedCluster(labelled);
        Assert.Contains(cluster.Get(RbacAuthorizer.RbacGroup, "clusterroles", null, "view")!["rules"]!.AsArray(), r => r!.Text().Contains("widgets", StringComparison.Ordinal));

        cluster.Upsert(ClusterRole("extra", [Rule(["get"], ["example.com"], ["widgets"])]));
        var changed = ClusterRoleAggregator.Reconcile(cluster);

        Assert.Equal(["admin", "edit", "view"], changed.Select(r => r["metadata"]!["name"]!.GetValue<string>()));
        Assert.All(changed, r => Assert.DoesNotContain("widgets", r["rules"]!.Text(), StringComparison.Ordinal));
    }

    [Fact]
    public void Rules_are_deduplicated_in_selector_then_name_order_and_the_role_never_selects_itself()
    {
        var common = Rule(["get"], [""], ["pods"]);
        var cluster = new InMemoryObjectReader(
        [
            ClusterRole("b-source", [common.DeepClone().AsObject(), Rule(["list"], [""], ["pods"])], new Dictionary<string, string> { ["team"] = "x" }),
            ClusterRole("a-source", [Rule(["watch"], [""], ["pods"]), common], new Dictionary<string, string> { ["team"] = "x" }),
            ClusterRole("c-source", [Rule(["get"], [""], ["secrets"])], new Dictionary<string, string> { ["extra"] = "yes" }),
            WithAggregation(ClusterRole("aggregated", [Rule(["delete"], [""], ["everything"])], new Dictionary<string, string> { ["team"] = "x" }), """[{"matchExpressions":[{"key":"extra","operator":"Exists"}]},{"matchLabels":{"team":"x"}}]"""),
        ]);

        var aggregated = Assert.Single(ClusterRoleAggregator.Reconcile(cluster));

        Assert.Equal(
            """[{"verbs":["get"],"apiGroups":[""],"resources":["secrets"]},{"verbs":["watch"],"apiGroups":[""],"resources":["pods"]},{"verbs":["get"],"apiGroups":[""],"resources":["pods"]},{"verbs":["list"],"apiGroups":[""],"resources":["pods"]}]""",
            aggregated["rules"]!.Text());
    }

    [Fact]
    public void An_invalid_selector_leaves_the_role_unchanged()
    {
        var cluster = new InMemoryObjectReader(
        [
            ClusterRole("source", [Rule(["get"], [""], ["pods"])], new Dictionary<string, string> { ["a"] = "b" }),
            WithAggregation(ClusterRole("broken", [Rule(["get"], [""], ["nodes"])]), """[{"matchExpressions":[{"key":"a","operator":"In","values":[]}]}]"""),
        ]);

        Assert.Empty(ClusterRoleAggregator.Reconcile(cluster));
    }

    private static JsonObject WithAggregation(JsonObject role, string selectorsJson)
    {
        role["aggregationRule"] = new JsonObject { ["clusterRoleSelectors"] = JsonNode.Parse(selectorsJson) };
        return role;
    }
}
