using System.Text.Json.Nodes;
using KubeSandbox;
using KubeSandbox.Semantics;

namespace GuardDutyCoverage.Tests.Sandbox.Semantics;

/// <summary>
/// The built-in type table checked against the real server: every built-in object in k8s-golden is already in the
/// form Go writes, so normalizing it must change nothing; and requests become what the server returned.
/// </summary>
public sealed class BuiltinObjectsTests
{
    private static readonly Dictionary<string, ResourceInfo> ByKind = new()
    {
        ["apps/v1/DaemonSet"] = Golden.DaemonSet,
        ["v1/Namespace"] = Golden.Namespace,
        ["scheduling.k8s.io/v1/PriorityClass"] = Golden.PriorityClass,
        ["rbac.authorization.k8s.io/v1/ClusterRoleBinding"] = Golden.ClusterRoleBinding,
        ["admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration"] = Golden.ValidatingWebhookConfiguration,
        ["coordination.k8s.io/v1/Lease"] = Golden.Lease,
    };

    public static TheoryData<string> RecordedBuiltInObjects()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(RepoPaths.TestData("k8s-golden"), "*.json").Order(StringComparer.Ordinal))
        {
            var exchange = JsonNode.Parse(File.ReadAllText(file))!;
            foreach (var (path, _) in Objects(exchange, Path.GetFileName(file)))
            {
                data.Add(path);
            }
        }

        return data;
    }

    private static IEnumerable<(string Path, JsonObject Object)> Objects(JsonNode? node, string path)
    {
        if (node is JsonObject obj)
        {
            if (obj["apiVersion"] is JsonValue && obj["kind"] is JsonValue && obj["metadata"] is JsonObject metadata && metadata["uid"] is not null
                && ByKind.ContainsKey($"{obj["apiVersion"]}/{obj["kind"]}"))
            {
                yield return (path, obj);
            }

            foreach (var (key, value) in obj)
            {
                foreach (var found in Objects(value, path + "/" + key))
                {
                    yield return found;
                }
            }
        }
        else if (node is JsonArray array)
        {
            for (var i = 0; i < array.Count; i++)
            {
                foreach (var found in Objects(array[i], $"{path}/{i}"))
                {
                    yield return found;
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(RecordedBuiltInObjects))]
    public void RecordedObjectsAreAlreadyNormal(string path)
    {
        var file = path.Split('/')[0];
        var exchange = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.TestData("k8s-golden"), file)))!;
        var (_, recorded) = Objects(exchange, file).Single(o => o.Path == path);
        var normalized = recorded.DeepClone().AsObject();

        BuiltinObjects.Normalize(normalized, ByKind[$"{recorded["apiVersion"]}/{recorded["kind"]}"]);

        Golden.AssertJsonEqual(recorded, normalized);
    }

    [Fact]
    public void PriorityClassRequestLosesTheFalseGlobalDefaultAndThenGetsTheRecordedManagedFields()
    {
        var request = Golden.RequestBody("39");

        BuiltinObjects.Normalize(request, Golden.PriorityClass);

        Assert.False(request.ContainsKey("globalDefault"));
        var recorded = Golden.ResponseBody("39");
        var managed = new FieldManager().UpdateManagedFields(null, request, Golden.PriorityClass, "unknown", null, Golden.ClockAt(recorded));
        Golden.AssertJsonEqual(recorded["metadata"]!["managedFields"], managed);
    }

    [Fact]
    public void PointersKeepZeroValuesAndAlwaysWrittenFieldsAppear()
    {
        var lease = Golden.RequestBody("62");
        var daemonSet = Golden.YamlRequestBody("40");

        BuiltinObjects.Normalize(lease, Golden.Lease);
        BuiltinObjects.Normalize(daemonSet, Golden.DaemonSet);

        Assert.Equal(0, lease["spec"]!["leaseTransitions"]!.GetValue<int>());
        Golden.AssertJsonEqual(Golden.ResponseBody("40")["status"], daemonSet["status"]);
        Golden.AssertJsonEqual(JsonNode.Parse("""{"creationTimestamp":null,"labels":{"name":"aws-guardduty-agent"}}"""), daemonSet["spec"]!["template"]!["metadata"]);
        Golden.AssertJsonEqual(JsonNode.Parse("{}"), daemonSet["spec"]!["updateStrategy"]);
    }

    [Fact]
    public void TheZeroObjectIsWhatAnEmptyGoValueSerializesTo() =>
        Golden.AssertJsonEqual(
            JsonNode.Parse("""
                {"metadata":{"creationTimestamp":null},
                 "spec":{"selector":null,"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":null}},"updateStrategy":{}},
                 "status":{"currentNumberScheduled":0,"numberMisscheduled":0,"desiredNumberScheduled":0,"numberReady":0}}
                """),
            BuiltinObjects.ZeroObject(Golden.DaemonSet));

    [Fact]
    public void CustomResourcesAreNotNormalized() =>
        Assert.Throws<ArgumentException>(() => BuiltinObjects.Normalize(new JsonObject(), Golden.Widget));
}
