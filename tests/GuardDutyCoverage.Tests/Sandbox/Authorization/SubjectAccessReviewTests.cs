using System.Text.Json.Nodes;
using KubeSandbox;
using KubeSandbox.Authorization;
using static GuardDutyCoverage.Tests.Sandbox.Authorization.GoldenFiles;
using static GuardDutyCoverage.Tests.Sandbox.Authorization.RbacFixtures;

namespace GuardDutyCoverage.Tests.Sandbox.Authorization;

public sealed class SubjectAccessReviewTests
{
    [Fact]
    public void Golden_46_review_before_the_binding_is_denied_with_no_reason()
    {
        var cluster = BootstrappedCluster();

        var result = SubjectAccessReviews.Evaluate(RequestBody("46"), new RbacAuthorizer(cluster));

        Assert.True(result.IsValid);
        var expected = ResponseBody("46");
        AssertSameJson(expected["spec"], result.Spec);
        AssertSameJson(expected["status"], result.Status);
    }

    [Fact]
    public void Golden_49_review_after_the_golden_47_binding_is_allowed_with_the_rbac_reason()
    {
        var cluster = BootstrappedCluster(RequestBody("47"));

        var result = SubjectAccessReviews.Evaluate(RequestBody("49"), new RbacAuthorizer(cluster));

        var expected = ResponseBody("49");
        AssertSameJson(expected["spec"], result.Spec);
        AssertSameJson(expected["status"], result.Status);
    }

    [Fact]
    public void Groups_uid_and_extra_are_echoed_and_groups_are_used()
    {
        var cluster = BootstrappedCluster(ClusterRoleBinding("ops-view", "view", Group("ops")));
        var review = JsonNode.Parse("""
            {"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview",
             "spec":{"uid":"42","extra":{"scopes":["a"]},"groups":["ops"],"user":"u",
                     "resourceAttributes":{"name":"p","resource":"pods","verb":"get","namespace":"default","version":"v1"}}}
            """)!.AsObject();

        var result = SubjectAccessReviews.Evaluate(review, new RbacAuthorizer(cluster));

        Assert.Equal(
            """{"resourceAttributes":{"namespace":"default","verb":"get","version":"v1","resource":"pods","name":"p"},"user":"u","groups":["ops"],"extra":{"scopes":["a"]},"uid":"42"}""",
            result.Spec!.Text());
        Assert.Equal("""{"allowed":true,"reason":"RBAC: allowed by ClusterRoleBinding \"ops-view\" of ClusterRole \"view\" to Group \"ops\""}""", result.Status!.Text());
    }

    [Fact]
    public void Non_resource_attributes_are_evaluated_as_paths()
    {
        var review = JsonNode.Parse("""{"spec":{"groups":["system:authenticated"],"nonResourceAttributes":{"verb":"get","path":"/version"}}}""")!.AsObject();

        var result = SubjectAccessReviews.Evaluate(review, new RbacAuthorizer(BootstrappedCluster()));

        Assert.Equal("""{"nonResourceAttributes":{"path":"/version","verb":"get"},"groups":["system:authenticated"]}""", result.Spec!.Text());
        Assert.True(result.Status!["allowed"]!.GetValue<bool>());
        Assert.StartsWith("RBAC: allowed by ClusterRoleBinding \"system:discovery\"", result.Status["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_review_without_subject_or_attributes_is_invalid_with_the_real_causes()
    {
        var result = SubjectAccessReviews.Evaluate(JsonNode.Parse("""{"spec":{}}""")!.AsObject(), new RbacAuthorizer(BootstrappedCluster()));

        Assert.False(result.IsValid);
        Assert.Null(result.Status);
        Assert.Equal(
        [
            new FieldError("FieldValueInvalid", "spec.resourceAttributes", "Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified"),
            new FieldError("FieldValueInvalid", "spec.user", "Invalid value: \"\": at least one of user or group must be specified"),
        ], result.Errors);
    }

    [Fact]
    public void Both_attribute_kinds_and_a_named_review_are_invalid()
    {
        var review = JsonNode.Parse("""
            {"metadata":{"name":"x"},"spec":{"user":"u","resourceAttributes":{"verb":"get","resource":"pods"},"nonResourceAttributes":{"verb":"get","path":"/x"}}}
            """)!.AsObject();

        var result = SubjectAccessReviews.Evaluate(review, new RbacAuthorizer(BootstrappedCluster()));

        Assert.Equal(["spec.nonResourceAttributes", "metadata"], result.Errors.Select(e => e.Field));
        Assert.Equal("Invalid value: authorization.NonResourceAttributes{Path:\"/x\", Verb:\"get\"}: cannot be specified in combination with resourceAttributes", result.Errors[0].Message);
        Assert.EndsWith(": must be empty", result.Errors[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Self_review_uses_the_requester_and_echoes_only_the_attributes()
    {
        var review = JsonNode.Parse("""{"spec":{"resourceAttributes":{"verb":"create","group":"authorization.k8s.io","resource":"selfsubjectaccessreviews"}}}""")!.AsObject();

        var result = SubjectAccessReviews.EvaluateSelf(review, AUser("frank", "system:authenticated"), new RbacAuthorizer(BootstrappedCluster()));

        Assert.Equal("""{"resourceAttributes":{"verb":"create","group":"authorization.k8s.io","resource":"selfsubjectaccessreviews"}}""", result.Spec!.Text());
        Assert.Equal("""{"allowed":true,"reason":"RBAC: allowed by ClusterRoleBinding \"system:basic-user\" of ClusterRole \"system:basic-user\" to Group \"system:authenticated\""}""", result.Status!.Text());
    }

    private static string GoString(string value) => JsonValue.Create(value).Text();

    [Fact]
    public void Local_review_must_stay_in_its_namespace()
    {
        var cluster = BootstrappedCluster(RoleBinding("team", "u-edit", "ClusterRole", "edit", User("u")));
        var authorizer = new RbacAuthorizer(cluster);
        JsonObject Review(string ns) => JsonNode.Parse("""{"metadata":{"namespace":"team"},"spec":{"user":"u","resourceAttributes":{"namespace":""" + GoString(ns) + ""","verb":"create","group":"apps","resource":"deployments"}}}""")!.AsObject();

        var ok = SubjectAccessReviews.EvaluateLocal(Review("team"), "team", authorizer);
        var mismatch = SubjectAccessReviews.EvaluateLocal(Review("other"), "team", authorizer);

        Assert.True(ok.Status!["allowed"]!.GetValue<bool>());
        var error = Assert.Single(mismatch.Errors);
        Assert.Equal(new FieldError("FieldValueInvalid", "spec.resourceAttributes.namespace", "Invalid value: \"other\": must match metadata.namespace"), error);
    }
}
