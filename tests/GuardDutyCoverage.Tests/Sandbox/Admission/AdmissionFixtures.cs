using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using KubeSandbox;
using KubeSandbox.Testing;

namespace GuardDutyCoverage.Tests.Sandbox.Admission;

internal static class AdmissionFixtures
{
    public static readonly ResourceInfo DaemonSets = new("apps", "v1", "daemonsets", "DaemonSet", true, "daemonset", ["ds"], ["create", "delete", "get", "list", "patch", "update", "watch"], true);

    public static readonly ResourceInfo Namespaces = new("", "v1", "namespaces", "Namespace", false, "namespace", ["ns"], ["create", "delete", "get", "list", "patch", "update", "watch"], true);

    public static readonly ResourceInfo PriorityClasses = new("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", false, "priorityclass", ["pc"], ["create", "delete", "get", "list", "patch", "update", "watch"], false);

    /// <summary>The user of the golden recordings (static token: admin, uid admin-uid, system:masters).</summary>
    public static readonly UserInfo Admin = new("admin", ["system:masters", "system:authenticated"], "admin-uid");

    /// <summary>A generous bound for awaiting things that happen promptly; never a sleep.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static AdmissionRequestContext Context(
        ResourceInfo resource,
        string operation,
        string? @namespace,
        string name,
        JsonObject? obj,
        JsonObject? oldObject = null,
        bool dryRun = false,
        JsonObject? options = null,
        string? subresource = null,
        UserInfo? user = null) =>
        new(resource, operation, subresource, @namespace, name, obj, oldObject, dryRun, user ?? Admin, options ?? DryRunOptions(dryRun), null);

    public static JsonObject DryRunOptions(bool dryRun) => dryRun ? new JsonObject { ["dryRun"] = new JsonArray("All") } : [];

    public static JsonObject DaemonSet(string @namespace, string name, string image, IReadOnlyDictionary<string, string>? labels = null)
    {
        var metadata = new JsonObject { ["name"] = name, ["namespace"] = @namespace };
        if (labels is not null)
        {
            metadata["labels"] = new JsonObject([.. labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)JsonValue.Create(l.Value)))]);
        }

        return new JsonObject
        {
            ["kind"] = "DaemonSet",
            ["apiVersion"] = "apps/v1",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject
            {
                ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["name"] = name } },
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["name"] = name } },
                    ["spec"] = new JsonObject
                    {
                        ["containers"] = new JsonArray(new JsonObject { ["name"] = name, ["image"] = image }),
                    },
                },
            },
        };
    }

    /// <summary>A loopback port nothing listens on: bound by the OS, then released.</summary>
    public static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>A single-webhook validating configuration served by <paramref name="server"/> at <paramref name="path"/>.</summary>
    public static JsonObject Validating(TestWebhookServer server, string path, Func<WebhookDefinition, WebhookDefinition>? customize = null, string name = "under-test") =>
        WebhookConfigurations.Validating(name, (customize ?? (d => d))(new WebhookDefinition(name + ".example.com", server.ClientConfig(path))));

    public static JsonObject Mutating(TestWebhookServer server, string path, Func<WebhookDefinition, WebhookDefinition>? customize = null, string name = "under-test") =>
        WebhookConfigurations.Mutating(name, (customize ?? (d => d))(new WebhookDefinition(name + ".example.com", server.ClientConfig(path))));
}
