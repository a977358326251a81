using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using KubeSandbox;
using KubeSandbox.Semantics;

namespace GuardDutyCoverage.Tests.Sandbox.Semantics;

/// <summary>Server-side apply ownership (shared, conflicts, force, pruning) and the managedFields bookkeeping of updates.</summary>
public sealed class FieldManagerBehaviourTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly FieldManager fields = new();

    private static JsonObject Json(string text) => JsonNode.Parse(text)!.AsObject();

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static JsonObject ConfigMap(string data, string? labels = null)
    {
        var config = Json("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","namespace":"default"}}""");
        if (labels is not null)
        {
            config["metadata"]!["labels"] = JsonNode.Parse(labels);
        }

        config["data"] = JsonNode.Parse(data);
        return config;
    }

    private JsonObject Applied(JsonObject? live, JsonObject config, string manager, DateTimeOffset now, bool force = false, ResourceInfo? resource = null)
    {
        var outcome = fields.Apply(live, config, resource ?? Golden.ConfigMap, manager, force, null, now);
        Assert.Empty(outcome.Conflicts);
        return outcome.Result!;
    }

    private static Dictionary<string, string> Owners(JsonObject obj) =>
        obj["metadata"]!["managedFields"]!.AsArray().ToDictionary(
            e => $"{e!["manager"]}/{e["operation"]}" + (e["subresource"] is { } s ? "/" + s : ""),
            e => e!["fieldsV1"]!.ToJsonString(Relaxed));

    [Fact]
    public void SameValueIsSharedWithoutConflict()
    {
        var first = Applied(null, ConfigMap("""{"a":"1"}"""), "alice", T0);
        var second = Applied(first, ConfigMap("""{"a":"1","b":"2"}"""), "bob", T0.AddSeconds(5));

        Assert.Equal("""{"f:data":{"f:a":{}}}""", Owners(second)["alice/Apply"]);
        Assert.Equal("""{"f:data":{"f:a":{},"f:b":{}}}""", Owners(second)["bob/Apply"]);
    }

    [Fact]
    public void ConflictsNameEveryOwnerAndForceTakesOverFromAll()
    {
        var applied = Applied(null, ConfigMap("""{"a":"1","b":"1"}""", """{"team":"x"}"""), "alice", T0);
        var edited = Json(applied.ToJsonString());
        edited["data"]!["b"] = "edited";
        edited["metadata"]!.AsObject().Remove("managedFields");
        edited["metadata"]!["managedFields"] = fields.UpdateManagedFields(applied, edited, Golden.ConfigMap, "kubectl-edit", null, T0.AddSeconds(1));

        var config = ConfigMap("""{"a":"2","b":"2"}""", """{"team":"y"}""");
        var outcome = fields.Apply(edited, config, Golden.ConfigMap, "bob", force: false, null, T0.AddSeconds(2));

        Assert.Null(outcome.Result);
        Assert.Equal(
            [
                new ApplyConflict("alice", "v1", ".data.a", "Apply"),
                new ApplyConflict("alice", "v1", ".metadata.labels.team", "Apply"),
                new ApplyConflict("kubectl-edit", "v1", ".data.b", "Update"),
            ],
            outcome.Conflicts);
        var status = ApiStatus.ApplyConflict(outcome.Conflicts);
        Assert.Equal(
            "Apply failed with 3 conflicts: conflicts with \"alice\":\n- .data.a\n- .metadata.labels.team\nconflicts with \"kubectl-edit\" using v1:\n- .data.b",
            status["message"]!.GetValue<string>());
        Assert.Equal("conflict with \"alice\"", status["details"]!["causes"]![0]!["message"]!.GetValue<string>());

        var forced = fields.Apply(edited, config, Golden.ConfigMap, "bob", force: true, null, T0.AddSeconds(3)).Result!;
        Assert.Equal(["bob/Apply"], Owners(forced).Keys);
        Assert.Equal("""{"f:data":{"f:a":{},"f:b":{}},"f:metadata":{"f:labels":{"f:team":{}}}}""", Owners(forced)["bob/Apply"]);
        Assert.Equal("""{"a":"2","b":"2"}""", forced["data"]!.ToJsonString());
    }

    [Fact]
    public void ConflictWithAnUpdaterOfASubresourceNamesIt()
    {
        var status = ApiStatus.ApplyConflict([new ApplyConflict("kubelet", "v1", ".status.phase", "Update", "status"), new ApplyConflict("eks", "v1", ".spec.x", "Apply")]);

        Assert.Equal(
            "Apply failed with 2 conflicts: conflicts with \"eks\":\n- .spec.x\nconflicts with \"kubelet\" with subresource \"status\" using v1:\n- .status.phase",
            status["message"]!.GetValue<string>());
    }

    [Fact]
    public void FieldsNoLongerAppliedAreRemovedUnlessSomeoneElseOwnsThem()
    {
        var live = Applied(null, ConfigMap("""{"a":"1","b":"1","c":"1"}"""), "alice", T0);
        live = Applied(live, ConfigMap("""{"c":"1"}"""), "bob", T0.AddSeconds(1));

        var result = Applied(live, ConfigMap("""{"a":"1"}"""), "alice", T0.AddSeconds(2));

        Assert.Equal("""{"a":"1","c":"1"}""", result["data"]!.ToJsonString());
        Assert.Equal("""{"f:data":{"f:a":{}}}""", Owners(result)["alice/Apply"]);
        Assert.Equal("""{"f:data":{"f:c":{}}}""", Owners(result)["bob/Apply"]);
    }

    [Fact]
    public void ListItemsAppliedBeforeArePrunedAndPortsAreKeyedByPortAndProtocol()
    {
        static JsonObject Deployment(string containers) => Json(
            """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","namespace":"default"},"spec":{"template":{"spec":{"containers":"""
            + containers + "}}}}");
        var live = Applied(null, Deployment("""[{"name":"a","image":"a","ports":[{"containerPort":80},{"containerPort":53,"protocol":"UDP"}]},{"name":"b","image":"b"}]"""), "ci", T0, resource: Golden.Deployment);

        Assert.Equal(
            """{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"a\"}":{".":{},"f:image":{},"f:name":{},"f:ports":{"k:{\"containerPort\":53,\"protocol\":\"UDP\"}":{".":{},"f:containerPort":{},"f:protocol":{}},"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}}},"k:{\"name\":\"b\"}":{".":{},"f:image":{},"f:name":{}}}}}}}""",
            Owners(live)["ci/Apply"]);

        var result = Applied(live, Deployment("""[{"name":"a","image":"a","ports":[{"containerPort":80}]}]"""), "ci", T0.AddSeconds(1), resource: Golden.Deployment);

        Assert.Equal(
            """[{"name":"a","image":"a","ports":[{"containerPort":80}]}]""",
            result["spec"]!["template"]!["spec"]!["containers"]!.ToJsonString());
    }

    [Fact]
    public void StatusSubresourceApplyIgnoresSpecAndGetsItsOwnEntry()
    {
        var live = Golden.ResponseBody("44");
        var config = Json("""{"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"aws-guardduty-agent","namespace":"amazon-guardduty"},"status":{"numberReady":2},"spec":{"minReadySeconds":5}}""");

        var result = fields.Apply(live, config, Golden.DaemonSet, "agent-health", false, "status", T0).Result!;

        var entry = result["metadata"]!["managedFields"]!.AsArray().Single(e => e!["manager"]!.GetValue<string>() == "agent-health")!;
        Assert.Equal("status", entry["subresource"]!.GetValue<string>());
        Assert.Equal("""{"f:status":{"f:numberReady":{}}}""", entry["fieldsV1"]!.ToJsonString());
        Assert.Equal(2, result["status"]!["numberReady"]!.GetValue<int>());
    }

    [Fact]
    public void FirstApplyToAnUntrackedObjectConflictsWithBeforeFirstApply()
    {
        var live = Golden.ResponseBody("42");
        live["metadata"]!.AsObject().Remove("managedFields");

        var outcome = fields.Apply(live, Golden.YamlRequestBody("43"), Golden.DaemonSet, "eks", force: false, null, T0);

        Assert.Equal(
            [new ApplyConflict(FieldManager.BeforeFirstApplyManager, "apps/v1", ".spec.template.spec.containers[name=\"aws-guardduty-agent\"].image")],
            outcome.Conflicts);
    }

    [Fact]
    public void NoOpApplyKeepsTheTime()
    {
        var live = Applied(null, ConfigMap("""{"a":"1"}"""), "alice", T0);

        var again = Applied(live, ConfigMap("""{"a":"1"}"""), "alice", T0.AddHours(1));

        Golden.AssertJsonEqual(live["metadata"]!["managedFields"], again["metadata"]!["managedFields"]);
    }

    [Theory]
    [InlineData("""{"apiVersion":"v2","kind":"ConfigMap","metadata":{"name":"cm"}}""", "Incorrect version specified in apply patch. Specified patch version: v2, expected: v1")]
    [InlineData("""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"cm"}}""", "Incorrect kind specified in apply patch. Specified patch kind: Secret, expected: ConfigMap")]
    [InlineData("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","managedFields":[]}}""", "metadata.managedFields must be nil")]
    public void BadApplyConfigurationsAreBadRequests(string config, string message)
    {
        var e = Assert.Throws<ApiStatusException>(() => fields.Apply(null, Json(config), Golden.ConfigMap, "x", false, null, T0));

        Assert.Equal(400, e.StatusCode);
        Assert.Equal(message, e.Status["message"]!.GetValue<string>());
    }

    [Fact]
    public void ApplyConfigurationsThatCannotBeReadAreUnclassifiedServerErrors()
    {
        var config = Json("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}""");

        var e = Assert.Throws<ApiStatusException>(() => fields.Apply(null, config, Golden.Deployment, "x", false, null, T0));

        Golden.AssertJsonEqual(
            JsonNode.Parse("""
                {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
                 "message":"failed to create typed patch object (apps/v1, Kind=Deployment): .spec.template.spec.containers: element 0: associative list with keys has an element that omits key field \"name\" (and doesn't have default value)",
                 "code":500}
                """),
            e.Status);
    }

    [Fact]
    public void RemovedFieldsLeaveTheirOwnersAndEmptiedEntriesDisappear()
    {
        var live = Json("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","labels":{"a":"1"}},"data":{"x":"1"}}""");
        live["metadata"]!["managedFields"] = fields.UpdateManagedFields(null, live, Golden.ConfigMap, "creator", null, T0);
        var relabelled = Json(live.ToJsonString());
        relabelled["metadata"]!["labels"] = Json("""{"b":"2"}""");
        relabelled["metadata"]!.AsObject().Remove("managedFields");
        relabelled["metadata"]!["managedFields"] = fields.UpdateManagedFields(live, relabelled, Golden.ConfigMap, "labeller", null, T0.AddSeconds(1));
        var emptied = Json(relabelled.ToJsonString());
        emptied.Remove("data");
        emptied["metadata"]!.AsObject().Remove("managedFields");

        var managed = fields.UpdateManagedFields(relabelled, emptied, Golden.ConfigMap, "cleaner", null, T0.AddSeconds(2));

        // The creator keeps the labels map itself; the cleaner removed something and gained nothing, so it has no entry.
        Assert.Equal(
            """[{"manager":"creator","operation":"Update","apiVersion":"v1","time":"2026-01-01T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{}}}},"""
            + """{"manager":"labeller","operation":"Update","apiVersion":"v1","time":"2026-01-01T00:00:01Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{"f:b":{}}}}}]""",
            managed.ToJsonString());
    }

    [Fact]
    public void ManagedFieldsSentWithAnUpdateReplaceTheStoredOnesAndASingleEmptyEntryClearsThem()
    {
        var live = Golden.ResponseBody("26");
        var sent = Golden.ResponseBody("26");
        sent["metadata"]!["managedFields"] = new JsonArray(sent["metadata"]!["managedFields"]![1]!.DeepClone());

        var replaced = fields.UpdateManagedFields(live, sent, Golden.Widget, "unknown", null, T0);
        Assert.Equal(["status"], replaced.Select(e => e!["subresource"]?.GetValue<string>()));

        var reset = Golden.ResponseBody("26");
        reset["metadata"]!["managedFields"] = new JsonArray(new JsonObject());
        Assert.Empty(fields.UpdateManagedFields(live, reset, Golden.Widget, "unknown", null, T0));

        // The status subresource never takes managedFields from the request.
        var statusUpdate = fields.UpdateManagedFields(live, sent, Golden.Widget, "unknown", "status", T0);
        Assert.Equal(2, statusUpdate.Count);
    }

    [Fact]
    public void ObjectsWithoutManagedFieldsStayUntrackedByUpdates()
    {
        var live = Golden.ResponseBody("26");
        live["metadata"]!.AsObject().Remove("managedFields");
        var changed = Golden.MergePatch(live, Json("""{"spec":{"size":6}}"""));

        Assert.Empty(fields.UpdateManagedFields(live, changed, Golden.Widget, "someone", null, T0));
    }

    [Fact]
    public void MoreThanTenUpdatersAreMergedIntoAncientChanges()
    {
        var obj = Json("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"data":{}}""");
        JsonObject? before = null;
        for (var i = 0; i < 12; i++)
        {
            var after = Json((before ?? obj).ToJsonString());
            after["data"]![$"k{i}"] = "v";
            after["metadata"]!.AsObject().Remove("managedFields");
            after["metadata"]!["managedFields"] = fields.UpdateManagedFields(before, after, Golden.ConfigMap, $"m{i:00}", null, T0.AddSeconds(i));
            before = after;
        }

        var managers = before!["metadata"]!["managedFields"]!.AsArray().Select(e => e!["manager"]!.GetValue<string>()).ToList();
        Assert.Equal(10, managers.Count);
        Assert.Equal("ancient-changes", managers[0]);
        Assert.Equal(Enumerable.Range(3, 9).Select(i => $"m{i:00}"), managers.Skip(1));
        Assert.Equal(
            """{"f:data":{".":{},"f:k0":{},"f:k1":{},"f:k2":{}}}""",
            before["metadata"]!["managedFields"]![0]!["fieldsV1"]!.ToJsonString());
    }

    [Fact]
    public void ObjectsThatCannotBeReadGetNoManagedFields()
    {
        var after = Json("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"spec":{"containers":[{"image":"no-name"}]}}}}""");

        Assert.Empty(fields.UpdateManagedFields(null, after, Golden.Deployment, "x", null, T0));
    }

    [Fact]
    public void ConcurrentCallsAreIndependent()
    {
        var results = Enumerable.Range(0, 32).AsParallel().Select(i =>
            fields.Apply(null, ConfigMap($$"""{"k{{i}}":"v"}"""), Golden.ConfigMap, $"m{i}", false, null, T0).Result!).ToList();

        for (var i = 0; i < results.Count; i++)
        {
            Assert.Equal("{\"f:data\":{\"f:k" + i + "\":{}}}", Owners(results[i])[$"m{i}/Apply"]);
        }
    }
}
