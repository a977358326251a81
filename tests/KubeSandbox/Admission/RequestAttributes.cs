using System.Text.Json.Nodes;

namespace KubeSandbox.Admission;

/// <summary>
/// admission.Attributes as the webhook dispatchers see them: the resource (possibly an equivalent one the webhook
/// matched), the kind for that resource and subresource, and the request's namespace with kube-apiserver's
/// convention that a request on a Namespace object itself carries that namespace's name (except CREATE).
/// </summary>
internal sealed record RequestAttributes(
    string Group,
    string Version,
    string Resource,
    string Subresource,
    string KindGroup,
    string KindVersion,
    string Kind,
    string Namespace,
    string Name,
    string Operation,
    JsonObject? Object,
    JsonObject? OldObject)
{
    public bool IsNamespaceObject => Group.Length == 0 && Version == "v1" && Resource == "namespaces";

    public static RequestAttributes From(AdmissionRequestContext request, JsonObject? currentObject)
    {
        var resource = request.Resource;
        var subresource = request.Subresource ?? "";
        var (kindGroup, kindVersion, kind) = KindFor(resource, subresource);
        var ns = request.Namespace ?? "";
        if (ns.Length == 0 && resource.Group.Length == 0 && resource.Resource == "namespaces" && request.Operation != "CREATE")
        {
            ns = request.Name;
        }

        return new RequestAttributes(resource.Group, resource.Version, resource.Resource, subresource, kindGroup, kindVersion, kind, ns, request.Name, request.Operation, currentObject, request.OldObject);
    }

    /// <summary>The same request seen through an equivalent resource (another served version of it).</summary>
    public RequestAttributes As(ResourceInfo equivalent)
    {
        var (kindGroup, kindVersion, kind) = KindFor(equivalent, Subresource);
        return this with { Group = equivalent.Group, Version = equivalent.Version, Resource = equivalent.Resource, KindGroup = kindGroup, KindVersion = kindVersion, Kind = kind };
    }

    /// <summary>The kind a subresource is served as: scale is autoscaling/v1 Scale, status the resource's own kind.</summary>
    private static (string Group, string Version, string Kind) KindFor(ResourceInfo resource, string subresource) => subresource switch
    {
        "scale" => ("autoscaling", "v1", "Scale"),
        "eviction" when resource is { Group: "", Resource: "pods" } => ("policy", "v1", "Eviction"),
        "binding" when resource is { Group: "", Resource: "pods" } => ("", "v1", "Binding"),
        "token" when resource is { Group: "", Resource: "serviceaccounts" } => ("authentication.k8s.io", "v1", "TokenRequest"),
        _ => (resource.Group, resource.Version, resource.Kind),
    };
}
