using System.Text.Json.Nodes;

namespace GuardDutyCoverage.Tests.Deploy;

/// <summary>The operator pod meets the "restricted" Pod Security Standard and writes only to its /tmp emptyDir.</summary>
public static class SecurityAssertions
{
    public static void AssertRestricted(Manifests manifests)
    {
        var pod = manifests.PodSpec();
        var podContext = pod["securityContext"]!;
        Assert.True(podContext["runAsNonRoot"]!.GetValue<bool>());
        Assert.Equal(65532, podContext["runAsUser"]!.GetValue<long>());
        Assert.Equal(65532, podContext["runAsGroup"]!.GetValue<long>());
        Assert.Equal("RuntimeDefault", podContext["seccompProfile"]!["type"]!.GetValue<string>());
        foreach (var forbidden in new[] { "hostNetwork", "hostPID", "hostIPC" })
        {
            Assert.True(pod[forbidden] is null || !pod[forbidden]!.GetValue<bool>(), forbidden);
        }

        var container = manifests.OperatorContainer();
        var context = container["securityContext"]!;
        Assert.False(context["allowPrivilegeEscalation"]!.GetValue<bool>());
        Assert.True(context["readOnlyRootFilesystem"]!.GetValue<bool>());
        Assert.True(context["privileged"] is null || !context["privileged"]!.GetValue<bool>());
        Assert.Equal(["ALL"], Manifests.Strings(context["capabilities"]!["drop"]));
        Assert.Null(context["capabilities"]!["add"]);
        Assert.DoesNotContain(":latest", container["image"]!.GetValue<string>(), StringComparison.Ordinal);

        var volumes = pod["volumes"]!.AsArray();
        Assert.All(volumes, v => Assert.Null(v!["hostPath"]));
        var tmp = Assert.Single(container["volumeMounts"]!.AsArray(), m => m!["mountPath"]!.GetValue<string>() == "/tmp")!;
        var tmpVolume = volumes.Single(v => v!["name"]!.GetValue<string>() == tmp["name"]!.GetValue<string>())!;
        Assert.IsType<JsonObject>(tmpVolume["emptyDir"]);
        Assert.NotNull(tmpVolume["emptyDir"]!["sizeLimit"]);

        var resources = container["resources"]!;
        Assert.NotNull(resources["requests"]!["memory"]);
        Assert.NotNull(resources["limits"]!["memory"]);
    }
}
