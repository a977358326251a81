using System.Text.Json;
using System.Text.Json.Nodes;
using KubeSandbox;
using GuardDutyCoverage.Util;

namespace GuardDutyCoverage.Tests.Sandbox.Semantics;

/// <summary>The k8s-golden recordings (tests/testdata/k8s-golden) and the resources they were recorded against.</summary>
internal static class Golden
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static readonly DateTimeOffset Now = new(2026, 11, 26, 16, 53, 7, TimeSpan.Zero);

    /// <summary>The exchange whose file name starts with <paramref name="number"/> (for example "12").</summary>
    public static JsonObject Exchange(string number)
    {
        var directory = RepoPaths.TestData("k8s-golden");
        var file = Directory.GetFiles(directory, number + "-*.json").Single();
        return JsonNode.Parse(File.ReadAllText(file))!.AsObject();
    }

    public static JsonObject RequestBody(string number) => Exchange(number)["request"]!["body"]!.DeepClone().AsObject();

    public static JsonObject ResponseBody(string number) => Exchange(number)["response"]!["body"]!.DeepClone().AsObject();

    /// <summary>A request body sent as application/apply-patch+yaml, as JSON.</summary>
    public static JsonObject YamlRequestBody(string number) =>
        YamlJson.Parse(Exchange(number)["request"]!["body"]!.GetValue<string>())!.AsObject();

    /// <summary>The Widget CRD of files 04-37 (cluster-scoped, status subresource).</summary>
    public static ResourceInfo Widget { get; } = new(
        "example.com", "v1", "widgets", "Widget", Namespaced: false, "widget", ["wd"],
        ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"], HasStatusSubresource: true,
        RequestBody("04")["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!.AsObject());

    public static ResourceInfo DaemonSet { get; } = BuiltIn("apps", "v1", "daemonsets", "DaemonSet", namespaced: true, status: true);

    public static ResourceInfo Namespace { get; } = BuiltIn("", "v1", "namespaces", "Namespace", namespaced: false, status: true);

    public static ResourceInfo PriorityClass { get; } = BuiltIn("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", namespaced: false, status: false);

    public static ResourceInfo ClusterRoleBinding { get; } = BuiltIn("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", namespaced: false, status: false);

    public static ResourceInfo ValidatingWebhookConfiguration { get; } =
        BuiltIn("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", namespaced: false, status: false);

    public static ResourceInfo Lease { get; } = BuiltIn("coordination.k8s.io", "v1", "leases", "Lease", namespaced: true, status: false);

    public static ResourceInfo Deployment { get; } = BuiltIn("apps", "v1", "deployments", "Deployment", namespaced: true, status: true);

    public static ResourceInfo Pod { get; } = BuiltIn("", "v1", "pods", "Pod", namespaced: true, status: true);

    public static ResourceInfo ConfigMap { get; } = BuiltIn("", "v1", "configmaps", "ConfigMap", namespaced: true, status: false);

    public static ResourceInfo Node { get; } = BuiltIn("", "v1", "nodes", "Node", namespaced: false, status: true);

    /// <summary>The project's own CRD (crds/), as a custom resource.</summary>
    public static ResourceInfo GuardDutyCoverage { get; } = new(
        "coverage.guardduty.io", "v1alpha1", "guarddutycoverages", "GuardDutyCoverage", Namespaced: false, "guarddutycoverage", ["gdc"],
        ["create", "delete", "get", "list", "patch", "update", "watch"], HasStatusSubresource: true,
        YamlJson.Parse(File.ReadAllText(RepoPaths.Crd))!["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!.AsObject());

    private static ResourceInfo BuiltIn(string group, string version, string resource, string kind, bool namespaced, bool status) =>
        new(group, version, resource, kind, namespaced, resource.TrimEnd('s'), [], ["create", "get", "list", "patch", "update"], status);

    /// <summary>A custom resource with the given openAPIV3Schema (cluster-scoped, with status subresource).</summary>
    public static ResourceInfo CustomResource(JsonObject schema) => new(
        "example.com", "v1", "things", "Thing", Namespaced: false, "thing", [], ["create", "get", "patch", "update"], HasStatusSubresource: true, schema);

    /// <summary>The server's clock at an exchange: the latest managedFields time of the object it returned.</summary>
    public static DateTimeOffset ClockAt(JsonObject returnedObject) =>
        returnedObject["metadata"]!["managedFields"]!.AsArray()
            .Select(e => DateTimeOffset.Parse(e!["time"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture))
            .Max();

    /// <summary>managedFields with the entries' times removed (the README's normalization), after checking their format.</summary>
    public static JsonArray WithoutTimes(JsonNode? managedFields)
    {
        var copy = managedFields!.DeepClone().AsArray();
        foreach (var entry in copy)
        {
            var time = entry!["time"]?.GetValue<string>();
            Assert.True(time is null || System.Text.RegularExpressions.Regex.IsMatch(time, @"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"), $"bad managedFields time {time}");
            entry.AsObject().Remove("time");
        }

        return copy;
    }

    public static void AssertJsonEqual(JsonNode? expected, JsonNode? actual)
    {
        if (!JsonNode.DeepEquals(expected, actual))
        {
            Assert.Fail($"JSON differs.\nexpected:\n{expected?.ToJsonString(Indented)}\nactual:\n{actual?.ToJsonString(Indented)}");
        }
    }

    /// <summary>RFC 7386 JSON merge patch (what the server core applies for application/merge-patch+json).</summary>
    public static JsonObject MergePatch(JsonObject target, JsonObject patch)
    {
        var result = target.DeepClone().AsObject();
        foreach (var (key, value) in patch)
        {
            if (value is null)
            {
                result.Remove(key);
            }
            else if (value is JsonObject patchObject)
            {
                result[key] = MergePatch(result[key] as JsonObject ?? [], patchObject);
            }
            else
            {
                result[key] = value.DeepClone();
            }
        }

        return result;
    }
}
