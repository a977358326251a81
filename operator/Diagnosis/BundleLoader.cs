using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Aws.Model;
using GuardDutyCoverage.Controller;
using GuardDutyCoverage.Runtime;
using GuardDutyCoverage.Util;
using k8s;
using k8s.Models;

namespace GuardDutyCoverage.Diagnosis;

/// <summary>One EC2 DescribeVpcAttribute answer as the AWS CLI prints it (one attribute per call).</summary>
public sealed record VpcAttributeDocument(string VpcId, bool? EnableDnsSupport, bool? EnableDnsHostnames);

/// <summary>Everything recognised in a support bundle, by content.</summary>
public sealed class BundleContents
{
    public List<V1Namespace> Namespaces { get; } = [];

    public List<V1DaemonSet> DaemonSets { get; } = [];

    public List<V1Pod> Pods { get; } = [];

    public List<V1PriorityClass> PriorityClasses { get; } = [];

    public List<V1ClusterRoleBinding> ClusterRoleBindings { get; } = [];

    public List<V1ValidatingWebhookConfiguration> ValidatingWebhooks { get; } = [];

    public List<V1MutatingWebhookConfiguration> MutatingWebhooks { get; } = [];

    public List<V1SubjectAccessReview> AccessReviews { get; } = [];

    public List<V1Alpha1GuardDutyCoverage> Coverages { get; } = [];

    public List<V1Node> Nodes { get; } = [];

    /// <summary>Events of both API groups (kubectl get events prints v1; events.k8s.io/v1 is what the operator watches).</summary>
    public List<ClusterEvent> Events { get; } = [];

    public List<V1ResourceQuota> ResourceQuotas { get; } = [];

    public List<V1LimitRange> LimitRanges { get; } = [];

    public List<V1NetworkPolicy> NetworkPolicies { get; } = [];

    /// <summary>EC2 DescribeVpcs answers (VPC and owner account).</summary>
    public List<(VpcInfo Vpc, DateTimeOffset CapturedAt)> Vpcs { get; } = [];

    /// <summary>Kubernetes kinds present (a typed empty list counts: the kind was collected and has no objects).</summary>
    public HashSet<string> KindsSeen { get; } = new(StringComparer.Ordinal);

    public string? ServerVersion { get; set; }

    public List<(CoverageResource Resource, DateTimeOffset CapturedAt)> CoverageResources { get; } = [];

    /// <summary>At least one ListCoverage answer was present (even an empty one).</summary>
    public bool CoverageListed { get; set; }

    public DateTimeOffset? CoverageCapturedAt { get; set; }

    public List<(GetDetectorResponse Detector, DateTimeOffset CapturedAt)> Detectors { get; } = [];

    public List<(EksAddon Addon, DateTimeOffset CapturedAt)> Addons { get; } = [];

    public List<(EksCluster Cluster, DateTimeOffset CapturedAt)> Clusters { get; } = [];

    public List<(AddonVersionInfo Version, DateTimeOffset CapturedAt)> AddonVersions { get; } = [];

    public List<(VpcAttributeDocument Attributes, DateTimeOffset CapturedAt)> VpcAttributes { get; } = [];

    public List<(VpcEndpointInfo Endpoint, DateTimeOffset CapturedAt)> VpcEndpoints { get; } = [];

    public bool VpcEndpointsListed { get; set; }

    public DateTimeOffset? VpcEndpointsCapturedAt { get; set; }

    public List<InputError> Errors { get; } = [];

    public int FilesRead { get; set; }

    /// <summary>Documents that were read but are not used (other Kubernetes kinds, other AWS answers).</summary>
    public int DocumentsIgnored { get; set; }

    public bool HasKubernetesObjects =>
        ServerVersion is not null || Namespaces.Count + DaemonSets.Count + Pods.Count + PriorityClasses.Count + ClusterRoleBindings.Count
            + ValidatingWebhooks.Count + MutatingWebhooks.Count + Nodes.Count > 0 || KindsSeen.Overlaps(SnapshotKinds.All);

    public bool HasAwsData =>
        CoverageListed || Detectors.Count + Addons.Count + Clusters.Count + AddonVersions.Count + VpcAttributes.Count + Vpcs.Count > 0 || VpcEndpointsListed;
}

/// <summary>
/// Reads a support bundle: every <c>*.yaml</c>, <c>*.yml</c>, <c>*.json</c> below a directory, recognised by content:
/// Kubernetes objects and Lists as <c>kubectl get -o yaml|json</c> prints them, <c>kubectl version -o json</c>, and the
/// JSON the AWS CLI prints (PascalCase, ISO timestamps) or the APIs return (camelCase). A file that cannot be read is
/// an <see cref="InputError"/>; the rest is still used.
/// </summary>
public static class BundleLoader
{
    public const long MaxFileBytes = 64L * 1024 * 1024;

    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    public static async Task<BundleContents> LoadAsync(string directory, CancellationToken cancellationToken)
    {
        var contents = new BundleContents();
        var files = Directory.EnumerateFiles(directory, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.None })
            .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .ToList();
        foreach (var file in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = Path.GetRelativePath(directory, file);
            string text;
            DateTimeOffset capturedAt;
            try
            {
                var info = new FileInfo(file);
                if (info.Length > MaxFileBytes)
                {
                    contents.Errors.Add(new InputError(name, $"file is {info.Length} bytes, more than the {MaxFileBytes} this tool reads"));
                    continue;
                }

                capturedAt = new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero);
                text = await File.ReadAllTextAsync(file, Encoding.UTF8, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                contents.Errors.Add(new InputError(name, e.Message));
                continue;
            }

            contents.FilesRead++;
            LoadText(name, text, capturedAt, contents);
        }

        return contents;
    }

    /// <summary>Adds the documents of one file; a malformed file becomes an input error.</summary>
    public static void LoadText(string file, string text, DateTimeOffset capturedAt, BundleContents into)
    {
        IReadOnlyList<JsonNode> documents;
        try
        {
            documents = ParseDocuments(file, text);
        }
        catch (FormatException e)
        {
            into.Errors.Add(new InputError(file, e.Message));
            return;
        }

        if (documents.Count == 0)
        {
            into.Errors.Add(new InputError(file, "the file holds no document"));
            return;
        }

        foreach (var document in documents)
        {
            try
            {
                Classify(file, document, capturedAt, into);
            }
            // ArgumentException: a JSON object with a duplicate member name, found when it is first read.
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or NotSupportedException or ArgumentException)
            {
                into.Errors.Add(new InputError(file, e.Message));
            }
        }
    }

    private static IReadOnlyList<JsonNode> ParseDocuments(string file, string text)
    {
        var trimmed = text.AsSpan().TrimStart();
        if (trimmed.Length > 0 && (trimmed[0] == '{' || trimmed[0] == '['))
        {
            try
            {
                return ParseJsonSequence(text);
            }
            catch (JsonException json)
            {
                if (file.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                {
                    throw new FormatException($"invalid JSON at line {json.LineNumber + 1}, position {json.BytePositionInLine + 1}: {FirstSentence(json.Message)}", json);
                }
            }
        }

        return YamlJson.ParseAll(text);
    }

    /// <summary>One JSON value, or several written one after another (outputs appended to one file).</summary>
    private static List<JsonNode> ParseJsonSequence(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowMultipleValues = true, CommentHandling = JsonCommentHandling.Skip });
        var result = new List<JsonNode>();
        while (reader.Read())
        {
            if (JsonNode.Parse(ref reader) is { } node)
            {
                result.Add(node);
            }
        }

        return result;
    }

    private static string FirstSentence(string message)
    {
        foreach (var marker in new[] { " Path:", " LineNumber:" })
        {
            var end = message.IndexOf(marker, StringComparison.Ordinal);
            if (end > 0)
            {
                message = message[..end];
            }
        }

        return message.TrimEnd();
    }

    private static void Classify(string file, JsonNode document, DateTimeOffset capturedAt, BundleContents into)
    {
        if (document is JsonArray array)
        {
            foreach (var item in array)
            {
                if (item is not null)
                {
                    Classify(file, item, capturedAt, into);
                }
            }

            return;
        }

        if (document is not JsonObject obj)
        {
            throw new FormatException("expected a JSON object or a YAML mapping, found a " + document.GetValueKind().ToString().ToLowerInvariant());
        }

        if (Str(obj, "kind") is { } kind && Str(obj, "apiVersion") is { } apiVersion)
        {
            KubernetesObject(file, obj, kind, apiVersion, into);
            return;
        }

        if (obj["serverVersion"] is JsonObject server)
        {
            into.ServerVersion = Str(server, "gitVersion") ?? into.ServerVersion;
            return;
        }

        if (obj.ContainsKey("clientVersion"))
        {
            // kubectl version without a reachable server: nothing about the cluster.
            into.DocumentsIgnored++;
            return;
        }

        if (Str(obj, "gitVersion") is { } gitVersion && obj.ContainsKey("major"))
        {
            into.ServerVersion = gitVersion;
            return;
        }

        AwsDocument(file, obj, capturedAt, into);
    }

    private static void KubernetesObject(string file, JsonObject obj, string kind, string apiVersion, BundleContents into)
    {
        if (obj["items"] is JsonArray items && (kind == "List" || kind.EndsWith("List", StringComparison.Ordinal)))
        {
            // Typed lists (PodList) from the API carry kind/apiVersion on the list only; kubectl's List has them on every item.
            var itemKind = kind == "List" ? null : kind[..^"List".Length];
            if (itemKind is not null)
            {
                into.KindsSeen.Add(itemKind);
            }

            foreach (var item in items)
            {
                if (item is not JsonObject itemObject)
                {
                    continue;
                }

                var copy = (JsonObject)itemObject.DeepClone();
                if (itemKind is not null)
                {
                    copy.TryAdd("kind", itemKind);
                    copy.TryAdd("apiVersion", apiVersion);
                }

                if (Str(copy, "kind") is { } k && Str(copy, "apiVersion") is { } v)
                {
                    KubernetesObject(file, copy, k, v, into);
                }
            }

            return;
        }

        var group = apiVersion.Contains('/') ? apiVersion[..apiVersion.IndexOf('/')] : "";
        switch (group, kind)
        {
            case ("", "Namespace"):
                into.Namespaces.Add(Typed<V1Namespace>(obj, kind));
                break;
            case ("apps", "DaemonSet"):
                into.DaemonSets.Add(Typed<V1DaemonSet>(obj, kind));
                break;
            case ("", "Pod"):
                into.Pods.Add(Typed<V1Pod>(obj, kind));
                break;
            case ("scheduling.k8s.io", "PriorityClass"):
                into.PriorityClasses.Add(Typed<V1PriorityClass>(obj, kind));
                break;
            case ("rbac.authorization.k8s.io", "ClusterRoleBinding"):
                into.ClusterRoleBindings.Add(Typed<V1ClusterRoleBinding>(obj, kind));
                break;
            case ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"):
                into.ValidatingWebhooks.Add(Typed<V1ValidatingWebhookConfiguration>(obj, kind));
                break;
            case ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"):
                into.MutatingWebhooks.Add(Typed<V1MutatingWebhookConfiguration>(obj, kind));
                break;
            case ("authorization.k8s.io", "SubjectAccessReview"):
                into.AccessReviews.Add(Typed<V1SubjectAccessReview>(obj, kind));
                break;
            case ("", "Node"):
                into.Nodes.Add(Typed<V1Node>(obj, kind));
                break;
            case ("", "Event"):
                into.Events.Add(ClusterEvent.From(Typed<Corev1Event>(obj, kind)));
                break;
            case ("events.k8s.io", "Event"):
                into.Events.Add(ClusterEvent.From(Typed<Eventsv1Event>(obj, kind)));
                break;
            case ("", "ResourceQuota"):
                into.ResourceQuotas.Add(Typed<V1ResourceQuota>(obj, kind));
                break;
            case ("", "LimitRange"):
                into.LimitRanges.Add(Typed<V1LimitRange>(obj, kind));
                break;
            case ("networking.k8s.io", "NetworkPolicy"):
                into.NetworkPolicies.Add(Typed<V1NetworkPolicy>(obj, kind));
                break;
            case (V1Alpha1GuardDutyCoverage.Group, V1Alpha1GuardDutyCoverage.KindName):
                into.Coverages.Add(obj.Deserialize(ApiJsonContext.Default.V1Alpha1GuardDutyCoverage)
                    ?? throw new FormatException("GuardDutyCoverage document is null"));
                break;
            default:
                into.DocumentsIgnored++;
                return;
        }

        into.KindsSeen.Add(kind);
    }

    private static T Typed<T>(JsonObject obj, string kind)
    {
        try
        {
            return obj.Deserialize(KubeJson.TypeInfo<T>()) ?? throw new FormatException($"{kind} document is null");
        }
        catch (JsonException e)
        {
            var name = obj["metadata"]?["name"]?.GetValue<string>() ?? "(unnamed)";
            throw new FormatException($"{kind} {name}: {FirstSentence(e.Message)}{(e.Path is null ? "" : $" (at {e.Path})")}", e);
        }
    }

    private static void AwsDocument(string file, JsonObject original, DateTimeOffset capturedAt, BundleContents into)
    {
        // The AWS CLI prints GuardDuty and EC2 members PascalCase; the APIs (and EKS everywhere) use camelCase.
        var obj = (JsonObject)CamelCase(original)!;
        if (obj["resources"] is JsonArray resources && (resources.Count == 0 || resources.Any(r => r is JsonObject ro && (ro.ContainsKey("resourceId") || ro.ContainsKey("coverageStatus")))))
        {
            var response = obj.Deserialize(AwsJsonContext.Default.ListCoverageResponse) ?? throw new FormatException("empty ListCoverage document");
            into.CoverageListed = true;
            into.CoverageCapturedAt = Max(into.CoverageCapturedAt, capturedAt);
            into.CoverageResources.AddRange((response.Resources ?? []).Select(r => (r.ToDiagnosis(), capturedAt)));
            return;
        }

        if (obj["addon"] is JsonObject)
        {
            var response = obj.Deserialize(AwsJsonContext.Default.DescribeAddonResponse);
            if (response?.Addon is { } addon)
            {
                into.Addons.Add((addon.ToDiagnosis(), capturedAt));
            }

            return;
        }

        if (obj["cluster"] is JsonObject)
        {
            var response = obj.Deserialize(AwsJsonContext.Default.DescribeClusterResponse);
            if (response?.Cluster is { } cluster)
            {
                into.Clusters.Add((cluster.ToDiagnosis(), capturedAt));
            }

            return;
        }

        if (obj["addons"] is JsonArray)
        {
            var response = obj.Deserialize(AwsJsonContext.Default.DescribeAddonVersionsResponse) ?? throw new FormatException("empty DescribeAddonVersions document");
            foreach (var info in response.Addons.Where(a => a.AddonName == Catalog.AddonName))
            {
                into.AddonVersions.AddRange((info.AddonVersions ?? []).Select(v => (v.ToDiagnosis(), capturedAt)));
            }

            return;
        }

        if (obj.ContainsKey("status") && (obj.ContainsKey("serviceRole") || obj.ContainsKey("features") || obj.ContainsKey("findingPublishingFrequency")))
        {
            var detector = obj.Deserialize(AwsJsonContext.Default.GetDetectorResponse) ?? throw new FormatException("empty GetDetector document");
            into.Detectors.Add((detector.ToDiagnosis(), capturedAt));
            return;
        }

        if (Str(obj, "vpcId") is { } vpcId && (obj.ContainsKey("enableDnsSupport") || obj.ContainsKey("enableDnsHostnames")))
        {
            into.VpcAttributes.Add((new VpcAttributeDocument(vpcId, AttributeValue(obj, "enableDnsSupport"), AttributeValue(obj, "enableDnsHostnames")), capturedAt));
            return;
        }

        if (obj["vpcs"] is JsonArray vpcs)
        {
            foreach (var vpc in vpcs.OfType<JsonObject>())
            {
                if (Str(vpc, "vpcId") is { } id)
                {
                    into.Vpcs.Add((new VpcInfo(id, Str(vpc, "ownerId")), capturedAt));
                }
            }

            return;
        }

        if (obj["vpcEndpoints"] is JsonArray endpoints)
        {
            into.VpcEndpointsListed = true;
            into.VpcEndpointsCapturedAt = Max(into.VpcEndpointsCapturedAt, capturedAt);
            foreach (var endpoint in endpoints.OfType<JsonObject>())
            {
                into.VpcEndpoints.Add((Endpoint(endpoint), capturedAt));
            }

            return;
        }

        if (obj.ContainsKey("detectorIds") || obj.ContainsKey("coverageStatistics"))
        {
            into.DocumentsIgnored++;
            return;
        }

        throw new FormatException("not recognised: neither a Kubernetes object (kind, apiVersion), kubectl version output, nor AWS CLI output of list-coverage, get-detector, describe-addon, describe-cluster, describe-addon-versions, describe-vpc-attribute, describe-vpc-endpoints or describe-vpcs");
    }

    private static VpcEndpointInfo Endpoint(JsonObject endpoint)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tag in (endpoint["tags"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (Str(tag, "key") is { } key)
            {
                tags[key] = Str(tag, "value") ?? "";
            }
        }

        return new VpcEndpointInfo(
            Str(endpoint, "vpcEndpointId") ?? "",
            Str(endpoint, "vpcId") ?? "",
            Str(endpoint, "serviceName") ?? "",
            Str(endpoint, "vpcEndpointType"),
            Str(endpoint, "state"),
            endpoint["privateDnsEnabled"] is JsonValue dns && dns.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? dns.GetValue<bool>() : null,
            Str(endpoint, "ownerId"),
            tags);
    }

    private static bool? AttributeValue(JsonObject obj, string name) =>
        obj[name] is JsonObject attribute && attribute["value"] is JsonValue value && value.GetValueKind() is JsonValueKind.True or JsonValueKind.False
            ? value.GetValue<bool>()
            : null;

    private static DateTimeOffset Max(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x > b ? x : b;

    /// <summary>PascalCase member names to camelCase, recursively; tag maps keep their keys.</summary>
    internal static JsonNode? CamelCase(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var result = new JsonObject();
                foreach (var (key, value) in obj)
                {
                    var camel = key.Length > 0 && char.IsUpper(key[0]) ? char.ToLowerInvariant(key[0]) + key[1..] : key;
                    var converted = camel is "tags" && value is JsonObject ? value.DeepClone() : CamelCase(value);
                    result[camel] = converted;
                }

                return result;
            case JsonArray array:
                var list = new JsonArray();
                foreach (var item in array)
                {
                    list.Add(CamelCase(item));
                }

                return list;
            default:
                return node?.DeepClone();
        }
    }

    private static string? Str(JsonObject obj, string name) =>
        obj[name] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
}
