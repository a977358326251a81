using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using KubeSandbox.Authorization;

namespace KubeSandbox.Admission;

/// <summary>
/// Where a webhook's <c>clientConfig.service</c> is reached, the way kube-apiserver's endpoint-routing resolver finds
/// it: the Service's port (by number) names a port of its Endpoints, whose address and port are dialled. There is no
/// cluster network here, so only loopback addresses are dialled; an Endpoints object that has none counts as no
/// endpoints (the caller then reports <c>no endpoints available for service "name"</c>).
/// </summary>
/// <remarks>
/// A test exposes a <see cref="Testing.TestWebhookServer"/> as <c>kyverno-svc.kyverno</c> by storing a Service with a
/// port 443 and an Endpoints object with the address 127.0.0.1 and the server's port (its certificate names
/// <c>kyverno-svc.kyverno.svc</c>): <see cref="Testing.WebhookConfigurations.Service"/> and <see cref="Testing.WebhookConfigurations.Endpoints"/> build them.
/// </remarks>
public static class EndpointsServiceResolver
{
    public static Func<WebhookServiceReference, Uri?> For(IObjectReader cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        return reference => Resolve(cluster, reference);
    }

    private static Uri? Resolve(IObjectReader cluster, WebhookServiceReference reference)
    {
        var service = cluster.Get("", "services", reference.Namespace, reference.Name);
        var endpoints = cluster.Get("", "endpoints", reference.Namespace, reference.Name);
        if (service is null || endpoints is null)
        {
            return null;
        }

        var type = JsonRead.String(service["spec"]?["type"]) ?? "ClusterIP";
        if (type is not ("ClusterIP" or "NodePort" or "LoadBalancer"))
        {
            return null;
        }

        var servicePort = (service["spec"]?["ports"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .FirstOrDefault(p => JsonRead.Integer(p["port"]) == reference.Port);
        if (servicePort is null)
        {
            return null;
        }

        var portName = JsonRead.String(servicePort["name"]) ?? "";
        foreach (var subset in (endpoints["subsets"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var port = (subset["ports"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(p => (JsonRead.String(p["name"]) ?? "") == portName);
            if (port is null || JsonRead.Integer(port["port"]) is not { } number)
            {
                continue;
            }

            // Only loopback is dialled: nothing of a real cluster network is reachable (or may be reached) from here.
            var address = (subset["addresses"] as JsonArray ?? []).OfType<JsonObject>()
                .Select(a => JsonRead.String(a["ip"]))
                .FirstOrDefault(ip => IPAddress.TryParse(ip, out var parsed) && IPAddress.IsLoopback(parsed));
            if (address is not null)
            {
                var host = address.Contains(':', StringComparison.Ordinal) ? $"[{address}]" : address;
                return new Uri($"https://{host}:{number.ToString(CultureInfo.InvariantCulture)}");
            }
        }

        return null;
    }
}
