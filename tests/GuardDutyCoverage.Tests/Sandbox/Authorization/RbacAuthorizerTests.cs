using System.Text.Json.Nodes;
using KubeSandbox;
using KubeSandbox.Authorization;
using KubeSandbox.Testing;
using static GuardDutyCoverage.Tests.Sandbox.Authorization.RbacFixtures;

namespace GuardDutyCoverage.Tests.Sandbox.Authorization;

public sealed class RbacAuthorizerTests
{
    private static readonly UserInfo Alice = AUser("alice", "system:authenticated");

    [Fact]
    public void Superuser_group_is_always_allowed_without_a_reason()
    {
        var authorizer = new RbacAuthorizer(new InMemoryObjectReader());

        var decision = authorizer.Authorize(Request(AUser("admin", "system:masters", "system:authenticated"), "delete", "apps", "daemonsets", @namespace: "kube-system", name: "x"));

        Assert.Equal(new AuthorizationDecision(true, ""), decision);
    }

    [Fact]
    public void Nothing_bound_is_denied_with_an_empty_reason()
    {
        var authorizer = new RbacAuthorizer(BootstrappedCluster());

        var decision = authorizer.Authorize(Request(Alice, "get", "", "pods", @namespace: "default", name: "p"));

        Assert.Equal(new AuthorizationDecision(false, ""), decision);
    }

    [Theory]
    [InlineData("get", true)]
    [InlineData("list", true)]
    [InlineData("patch", false)]
    public void Verbs_must_be_listed(string verb, bool allowed)
    {
        var authorizer = Bound(Rule(["get", "list"], [""], ["pods"]));

        Assert.Equal(allowed, authorizer.Authorize(Request(Alice, verb, "", "pods", @namespace: "ns")).Allowed);
    }

    [Fact]
    public void Verb_wildcard_allows_any_verb()
    {
        var authorizer = Bound(Rule(["*"], [""], ["pods"]));

        Assert.True(authorizer.Authorize(Request(Alice, "deletecollection", "", "pods", @namespace: "ns")).Allowed);
    }

    [Theory]
    [InlineData("apps", true)]
    [InlineData("", false)]
    [InlineData("extensions", false)]
    public void Api_group_must_match_exactly(string group, bool allowed)
    {
        var authorizer = Bound(Rule(["get"], ["apps"], ["daemonsets"]));

        Assert.Equal(allowed, authorizer.Authorize(Request(Alice, "get", group, "daemonsets", @namespace: "ns")).Allowed);
    }

    [Fact]
    public void Api_group_wildcard_matches_every_group()
    {
        var authorizer = Bound(Rule(["get"], ["*"], ["widgets"]));

        Assert.True(authorizer.Authorize(Request(Alice, "get", "example.com", "widgets")).Allowed);
        Assert.True(authorizer.Authorize(Request(Alice, "get", "", "widgets")).Allowed);
    }

    [Theory]
    [InlineData("daemonsets", null, true)]
    [InlineData("daemonsets", "status", false)]
    [InlineData("deployments", null, false)]
    public void A_resource_does_not_grant_its_subresources(string resource, string? subresource, bool allowed)
    {
        var authorizer = Bound(Rule(["get"], ["apps"], ["daemonsets"]));

        Assert.Equal(allowed, authorizer.Authorize(Request(Alice, "get", "apps", resource, subresource, "ns")).Allowed);
    }

    [Theory]
    [InlineData("daemonsets", "status", true)]
    [InlineData("daemonsets", null, false)]
    [InlineData("daemonsets", "scale", false)]
    public void Resource_slash_subresource_grants_only_that_subresource(string resource, string? subresource, bool allowed)
    {
        var authorizer = Bound(Rule(["patch"], ["apps"], ["daemonsets/status"]));

        Assert.Equal(allowed, authorizer.Authorize(Request(Alice, "patch", "apps", resource, subresource, "ns")).Allowed);
    }

    [Theory]
    [InlineData("daemonsets", "status", true)]
    [InlineData("guarddutycoverages", "status", true)]
    [InlineData("daemonsets", "scale", false)]
    [InlineData("daemonsets", null, false)]
    public void Star_slash_subresource_grants_that_subresource_of_every_resource(string resource, string? subresource, bool allowed)
    {
        var authorizer = Bound(Rule(["update"], ["*"], ["*/status"]));

        Assert.Equal(allowed, authorizer.Authorize(Request(Alice, "update", "apps", resource, subresource, "ns")).Allowed);
    }

    [Fact]
    public void Resource_wildcard_matches_resources_and_subresources()
    {
        var authorizer = Bound(Rule(["get"], ["apps"], ["*"]));

        Assert.True(authorizer.Authorize(Request(Alice, "get", "apps", "daemonsets", "status", "ns")).Allowed);
        Assert.True(authorizer.Authorize(Request(Alice, "get", "apps", "deployments", null, "ns")).Allowed);
    }

    [Theory]
    [InlineData("aws-guardduty-agent.priorityclass", true)]
    [InlineData("other", false)]
    [InlineData(null, false)]
    public void Resource_names_restrict_to_named_requests(string? name, bool allowed)
    {
        var authorizer = Bound(Rule(["get", "list", "patch"], ["scheduling.k8s.io"], ["priorityclasses"], ["aws-guardduty-agent.priorityclass"]));

        Assert.Equal(allowed, authorizer.Authorize(Request(Alice, name is null ? "list" : "patch", "scheduling.k8s.io", "priorityclasses", name: name)).Allowed);
    }

    [Theory]
    [InlineData("/healthz", true)]
    [InlineData("/healthz/etcd", false)]
    [InlineData("/metrics", true)]
    [InlineData("/apis/coverage.guardduty.io/v1alpha1", true)]
    [InlineData("/api", false)]
    public void Non_resource_urls_match_exactly_or_by_star_prefix(string path, bool allowed)
    {
        var authorizer = Bound(Rule(["get"], nonResourceUrls: ["/healthz", "/metrics", "/apis/*"]));

        Assert.Equal(allowed, authorizer.Authorize(new AuthorizationAttributes(Alice, "get", "", "", null, null, null, IsResourceRequest: false, Path: path)).Allowed);
    }

    [Fact]
    public void Non_resource_rules_do_not_grant_resources_and_resource_rules_do_not_grant_paths()
    {
        var authorizer = Bound(Rule(["get"], ["*"], ["*"]));

        Assert.False(authorizer.Authorize(new AuthorizationAttributes(Alice, "get", "", "", null, null, null, IsResourceRequest: false, Path: "/version")).Allowed);
        Assert.True(Bound(Rule(["get"], nonResourceUrls: ["*"])).Authorize(new AuthorizationAttributes(Alice, "get", "", "", null, null, null, false, "/anything")).Allowed);
        Assert.False(Bound(Rule(["get"], nonResourceUrls: ["*"])).Authorize(Request(Alice, "get", "", "pods", @namespace: "ns")).Allowed);
    }

    [Fact]
    public void Group_subjects_match_the_users_groups()
    {
        var cluster = new InMemoryObjectReader(
        [
            ClusterRole("reader", [Rule(["get"], [""], ["namespaces"])]),
            ClusterRoleBinding("readers", "reader", Group("platform-team")),
        ]);
        var authorizer = new RbacAuthorizer(cluster);

        var member = authorizer.Authorize(Request(AUser("bob", "platform-team"), "get", "", "namespaces", name: "amazon-guardduty"));
        var outsider = authorizer.Authorize(Request(AUser("carol", "other-team"), "get", "", "namespaces", name: "amazon-guardduty"));

        Assert.Equal("RBAC: allowed by ClusterRoleBinding \"readers\" of ClusterRole \"reader\" to Group \"platform-team\"", member.Reason);
        Assert.True(member.Allowed);
        Assert.False(outsider.Allowed);
    }

    [Fact]
    public void Service_account_subject_of_a_cluster_role_binding_matches_its_username()
    {
        var cluster = new InMemoryObjectReader(
        [
            ClusterRole("gdc-operator", [Rule(["list", "watch"], ["apps"], ["daemonsets"])]),
            ClusterRoleBinding("gdc-operator", "gdc-operator", ServiceAccount("guardduty-coverage", "gdc-system")),
        ]);
        var authorizer = new RbacAuthorizer(cluster);

        var decision = authorizer.Authorize(Request(ServiceAccountUsers.For("gdc-system", "guardduty-coverage"), "list", "apps", "daemonsets"));
        var sameNameOtherNamespace = authorizer.Authorize(Request(ServiceAccountUsers.For("default", "guardduty-coverage"), "list", "apps", "daemonsets"));

        Assert.Equal(new AuthorizationDecision(true, "RBAC: allowed by ClusterRoleBinding \"gdc-operator\" of ClusterRole \"gdc-operator\" to ServiceAccount \"guardduty-coverage/gdc-system\""), decision);
        Assert.False(sameNameOtherNamespace.Allowed);
    }

    [Fact]
    public void Service_account_subject_without_namespace_never_matches_in_a_cluster_role_binding()
    {
        var cluster = new InMemoryObjectReader(
        [
            ClusterRole("r", [Rule(["get"], [""], ["pods"])]),
            ClusterRoleBinding("b", "r", ServiceAccount("sa")),
        ]);

        Assert.False(new RbacAuthorizer(cluster).Authorize(Request(ServiceAccountUsers.For("default", "sa"), "get", "", "pods", @namespace: "default")).Allowed);
    }

    [Fact]
    public void Service_account_subject_of_a_role_binding_defaults_to_the_bindings_namespace()
    {
        var cluster = new InMemoryObjectReader(
        [
            Role("amazon-guardduty", "pod-reader", [Rule(["get", "list"], [""], ["pods"])]),
            RoleBinding("amazon-guardduty", "read-pods", "Role", "pod-reader", ServiceAccount("agent")),
        ]);
        var authorizer = new RbacAuthorizer(cluster);
        var agent = ServiceAccountUsers.For("amazon-guardduty", "agent");

        var inNamespace = authorizer.Authorize(Request(agent, "list", "", "pods", @namespace: "amazon-guardduty"));
        var elsewhere = authorizer.Authorize(Request(agent, "list", "", "pods", @namespace: "default"));
        var clusterWide = authorizer.Authorize(Request(agent, "list", "", "pods"));

        Assert.Equal("RBAC: allowed by RoleBinding \"read-pods/amazon-guardduty\" of Role \"pod-reader\" to ServiceAccount \"agent/amazon-guardduty\"", inNamespace.Reason);
        Assert.False(elsewhere.Allowed);
        Assert.False(clusterWide.Allowed);
    }

    [Fact]
    public void Service_account_groups_match_group_subjects()
    {
        var cluster = new InMemoryObjectReader(
        [
            ClusterRole("r", [Rule(["get"], [""], ["configmaps"])]),
            RoleBinding("team", "all-sas-of-team", "ClusterRole", "r", Group("system:serviceaccounts:team")),
            RoleBinding("other", "every-sa", "ClusterRole", "r", Group("system:serviceaccounts")),
        ]);
        var authorizer = new RbacAuthorizer(cluster);
        var builder = ServiceAccountUsers.For("team", "builder");

        Assert.Equal(
            "RBAC: allowed by RoleBinding \"all-sas-of-team/team\" of ClusterRole \"r\" to Group \"system:serviceaccounts:team\"",
            authorizer.Authorize(Request(builder, "get", "", "configmaps", @namespace: "team", name: "c")).Reason);
        Assert.True(authorizer.Authorize(Request(builder, "get", "", "configmaps", @namespace: "other", name: "c")).Allowed);
        Assert.False(authorizer.Authorize(Request(AUser("human", "system:authenticated"), "get", "", "configmaps", @namespace: "other", name: "c")).Allowed);
    }

    [Fact]
    public void Authenticated_users_get_discovery_from_the_bootstrap_policy()
    {
        var authorizer = new RbacAuthorizer(BootstrappedCluster());
        AuthorizationAttributes Discovery(UserInfo user) => new(user, "get", "", "", null, null, null, false, "/apis/coverage.guardduty.io/v1alpha1");

        var authenticated = authorizer.Authorize(Discovery(AUser("eve", "system:authenticated")));
        var anonymous = authorizer.Authorize(Discovery(AUser("system:anonymous", "system:unauthenticated")));

        Assert.Equal("RBAC: allowed by ClusterRoleBinding \"system:discovery\" of ClusterRole \"system:discovery\" to Group \"system:authenticated\"", authenticated.Reason);
        Assert.False(anonymous.Allowed);
    }

    [Fact]
    public void A_role_binding_to_a_cluster_role_grants_only_inside_its_namespace()
    {
        var cluster = BootstrappedCluster(RoleBinding("team-a", "alice-edit", "ClusterRole", "edit", User("alice")));
        var authorizer = new RbacAuthorizer(cluster);

        Assert.Equal(
            "RBAC: allowed by RoleBinding \"alice-edit/team-a\" of ClusterRole \"edit\" to User \"alice\"",
            authorizer.Authorize(Request(Alice, "patch", "apps", "deployments", @namespace: "team-a", name: "web")).Reason);
        Assert.False(authorizer.Authorize(Request(Alice, "patch", "apps", "deployments", @namespace: "team-b", name: "web")).Allowed);
    }

    [Fact]
    public void A_binding_to_a_missing_role_is_reported_in_the_denial_reason()
    {
        var cluster = new InMemoryObjectReader(
        [
            ClusterRoleBinding("eks:addon-cluster-admin", "cluster-admin", User("eks:addon-manager")),
            RoleBinding("amazon-guardduty", "agent", "Role", "agent-role", User("eks:addon-manager")),
        ]);
        var authorizer = new RbacAuthorizer(cluster);
        var manager = AUser("eks:addon-manager");

        var clusterScoped = authorizer.Authorize(Request(manager, "patch", "scheduling.k8s.io", "priorityclasses", name: "aws-guardduty-agent.priorityclass"));
        var namespaced = authorizer.Authorize(Request(manager, "patch", "apps", "daemonsets", @namespace: "amazon-guardduty", name: "aws-guardduty-agent"));

        Assert.Equal(new AuthorizationDecision(false, "RBAC: clusterrole.rbac.authorization.k8s.io \"cluster-admin\" not found"), clusterScoped);
        Assert.Equal(
            new AuthorizationDecision(false, "RBAC: [clusterrole.rbac.authorization.k8s.io \"cluster-admin\" not found, role.rbac.authorization.k8s.io \"agent-role\" not found]"),
            namespaced);
    }

    [Fact]
    public void An_allowing_rule_wins_over_resolution_errors_of_other_bindings()
    {
        var cluster = BootstrappedCluster(
            ClusterRoleBinding("a-broken", "does-not-exist", User("alice")),
            ClusterRoleBinding("b-works", "view", User("alice")));

        var decision = new RbacAuthorizer(cluster).Authorize(Request(Alice, "get", "", "pods", @namespace: "x", name: "p"));

        Assert.Equal(new AuthorizationDecision(true, "RBAC: allowed by ClusterRoleBinding \"b-works\" of ClusterRole \"view\" to User \"alice\""), decision);
    }

    [Fact]
    public void Role_bindings_of_other_namespaces_are_ignored_and_changes_in_the_store_are_seen()
    {
        var cluster = new InMemoryObjectReader([Role("a", "r", [Rule(["get"], [""], ["secrets"])])]);
        var authorizer = new RbacAuthorizer(cluster);
        var request = Request(Alice, "get", "", "secrets", @namespace: "a", name: "s");
        Assert.False(authorizer.Authorize(request).Allowed);

        cluster.Upsert(RoleBinding("b", "rb", "Role", "r", User("alice")));
        Assert.False(authorizer.Authorize(request).Allowed);

        cluster.Upsert(RoleBinding("a", "rb", "Role", "r", User("alice")));
        Assert.True(authorizer.Authorize(request).Allowed);

        cluster.Remove(RbacAuthorizer.RbacGroup, "rolebindings", "a", "rb");
        Assert.False(authorizer.Authorize(request).Allowed);
    }

    private static RbacAuthorizer Bound(JsonObject rule) => new(new InMemoryObjectReader(
    [
        ClusterRole("under-test", [rule]),
        ClusterRoleBinding("under-test", "under-test", User("alice")),
    ]));
}
