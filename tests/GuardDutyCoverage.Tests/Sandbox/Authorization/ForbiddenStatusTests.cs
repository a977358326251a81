using KubeSandbox;
using KubeSandbox.Authorization;
using static GuardDutyCoverage.Tests.Sandbox.Authorization.RbacFixtures;

namespace GuardDutyCoverage.Tests.Sandbox.Authorization;

public sealed class ForbiddenStatusTests
{
    private static readonly UserInfo AddonManager = AUser("eks:addon-manager");

    [Fact]
    public void Cluster_scoped_denial_reads_like_the_catalog_addon_manager_forbidden_string()
    {
        var status = ForbiddenStatus.For(Request(AddonManager, "patch", "scheduling.k8s.io", "priorityclasses", name: "aws-guardduty-agent.priorityclass"));

        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"priorityclasses.scheduling.k8s.io \"aws-guardduty-agent.priorityclass\" is forbidden: User \"eks:addon-manager\" cannot patch resource \"priorityclasses\" in API group \"scheduling.k8s.io\" at the cluster scope","reason":"Forbidden","details":{"name":"aws-guardduty-agent.priorityclass","group":"scheduling.k8s.io","kind":"priorityclasses"},"code":403}""",
            status.Text());
    }

    [Fact]
    public void Namespace_patch_denial_names_the_namespace_as_the_request_namespace()
    {
        var status = ForbiddenStatus.For(Request(AddonManager, "patch", "", "namespaces", @namespace: "amazon-guardduty", name: "amazon-guardduty"));

        Assert.Equal(
            "namespaces \"amazon-guardduty\" is forbidden: User \"eks:addon-manager\" cannot patch resource \"namespaces\" in API group \"\" in the namespace \"amazon-guardduty\"",
            status["message"]!.GetValue<string>());
        Assert.Equal("""{"name":"amazon-guardduty","kind":"namespaces"}""", status["details"]!.Text());
    }

    [Fact]
    public void Unnamed_subresource_and_reason_variants()
    {
        var list = ForbiddenStatus.For(Request(AddonManager, "list", "apps", "daemonsets", @namespace: "amazon-guardduty"), "RBAC: role.rbac.authorization.k8s.io \"x\" not found");
        var status = ForbiddenStatus.For(Request(AddonManager, "update", "coverage.guardduty.io", "guarddutycoverages", "status", name: "prod"));

        Assert.Equal(
            "daemonsets.apps is forbidden: User \"eks:addon-manager\" cannot list resource \"daemonsets\" in API group \"apps\" in the namespace \"amazon-guardduty\": RBAC: role.rbac.authorization.k8s.io \"x\" not found",
            list["message"]!.GetValue<string>());
        Assert.Equal("""{"group":"apps","kind":"daemonsets"}""", list["details"]!.Text());
        Assert.Equal(
            "guarddutycoverages.coverage.guardduty.io \"prod\" is forbidden: User \"eks:addon-manager\" cannot update resource \"guarddutycoverages/status\" in API group \"coverage.guardduty.io\" at the cluster scope",
            status["message"]!.GetValue<string>());
    }

    [Fact]
    public void Non_resource_denial_has_the_bare_forbidden_prefix_and_empty_details()
    {
        var status = ForbiddenStatus.For(new AuthorizationAttributes(AUser("system:anonymous"), "get", "", "", null, null, null, false, "/metrics"));

        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden: User \"system:anonymous\" cannot get path \"/metrics\"","reason":"Forbidden","details":{},"code":403}""",
            status.Text());
    }

    [Fact]
    public void Html_is_escaped_and_quotes_are_go_quoted()
    {
        var message = ForbiddenStatus.Message(Request(AUser("<b>\"x\"</b>"), "get", "", "pods", @namespace: "a&b"));

        Assert.Equal("User \"&lt;b&gt;\\\"x\\\"&lt;/b&gt;\" cannot get resource \"pods\" in API group \"\" in the namespace \"a&amp;b\"", message);
    }
}
