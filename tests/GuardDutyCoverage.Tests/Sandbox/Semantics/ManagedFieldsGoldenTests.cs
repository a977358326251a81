using System.Text.Json.Nodes;
using KubeSandbox;
using KubeSandbox.Semantics;

namespace GuardDutyCoverage.Tests.Sandbox.Semantics;

/// <summary>
/// metadata.managedFields of Update operations exactly as the k8s-golden objects show them (times ignored, as the
/// README says). Each request is replayed on the object the server held before it.
/// </summary>
public sealed class ManagedFieldsGoldenTests
{
    private readonly FieldManager fields = new();

    private static JsonNode? ManagedFieldsOf(JsonObject obj) => obj["metadata"]!["managedFields"];

    private void AssertUpdate(JsonObject? before, JsonObject after, ResourceInfo resource, string manager, string? subresource, string expectedExchange)
    {
        var expected = Golden.ResponseBody(expectedExchange);
        var managed = fields.UpdateManagedFields(before, after, resource, manager, subresource, Golden.ClockAt(expected));

        Golden.AssertJsonEqual(Golden.WithoutTimes(ManagedFieldsOf(expected)), Golden.WithoutTimes(managed));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("19")]
    public void WidgetCreateGivesTheManagerEverySpecField(string exchange) =>
        AssertUpdate(null, Golden.RequestBody(exchange), Golden.Widget, "unknown", null, exchange);

    [Fact]
    public void StatusPatchAddsAStatusSubresourceEntry()
    {
        var before = Golden.ResponseBody("19");
        AssertUpdate(before, Golden.MergePatch(before, Golden.RequestBody("20")), Golden.Widget, "unknown", "status", "20");
    }

    [Fact]
    public void PutBySameManagerKeepsOneEntry() =>
        AssertUpdate(Golden.ResponseBody("16"), Golden.RequestBody("23"), Golden.Widget, "unknown", null, "23");

    [Fact]
    public void StatusPatchIgnoresSpecChanges()
    {
        var before = Golden.ResponseBody("23");
        AssertUpdate(before, Golden.MergePatch(before, Golden.RequestBody("25")), Golden.Widget, "unknown", "status", "25");
    }

    [Fact]
    public void MainResourcePatchIgnoresStatusChangesAndKeepsTheStatusEntry()
    {
        var before = Golden.ResponseBody("25");
        AssertUpdate(before, Golden.MergePatch(before, Golden.RequestBody("26")), Golden.Widget, "unknown", null, "26");
    }

    [Fact]
    public void WatchedMutationsByCurlProduceTheRecordedEntries()
    {
        var events = Golden.Exchange("33")["response"]!["body"]!.AsArray();
        var created = events[0]!["object"]!.AsObject();
        var specPatched = events[1]!["object"]!.AsObject();
        var statusPatched = events[2]!["object"]!.AsObject();

        var createManaged = fields.UpdateManagedFields(null, WithoutManagedFields(created), Golden.Widget, "curl", null, Golden.ClockAt(created));
        Golden.AssertJsonEqual(Golden.WithoutTimes(ManagedFieldsOf(created)), Golden.WithoutTimes(createManaged));

        var specManaged = fields.UpdateManagedFields(created, WithoutManagedFields(specPatched), Golden.Widget, "curl", null, Golden.ClockAt(specPatched));
        Golden.AssertJsonEqual(Golden.WithoutTimes(ManagedFieldsOf(specPatched)), Golden.WithoutTimes(specManaged));

        var statusManaged = fields.UpdateManagedFields(specPatched, WithoutManagedFields(statusPatched), Golden.Widget, "curl", "status", Golden.ClockAt(statusPatched));
        Golden.AssertJsonEqual(ManagedFieldsOf(statusPatched), statusManaged);
    }

    [Fact]
    public void NamespaceCreateOwnsTheDefaultedLabelButNotStatus()
    {
        // The server defaults the kubernetes.io/metadata.name label before the field manager runs; spec.finalizers
        // and status.phase come later (strategy) or are reset.
        var after = Golden.RequestBody("38");
        after["metadata"]!["labels"]!["kubernetes.io/metadata.name"] = "amazon-guardduty";
        after["status"] = new JsonObject { ["phase"] = "Active" };
        AssertUpdate(null, after, Golden.Namespace, "unknown", null, "38");
    }

    [Fact]
    public void PriorityClassCreate() =>
        AssertUpdate(null, Golden.ResponseBody("39"), Golden.PriorityClass, "unknown", null, "39");

    [Fact]
    public void ClusterRoleBindingCreateOwnsAtomicRoleRefAndSubjects() =>
        AssertUpdate(null, Golden.RequestBody("47"), Golden.ClusterRoleBinding, "unknown", null, "47");

    [Fact]
    public void WebhookConfigurationCreateKeysWebhooksByName() =>
        AssertUpdate(null, WithoutManagedFields(Golden.ResponseBody("50")), Golden.ValidatingWebhookConfiguration, "unknown", null, "50");

    [Fact]
    public void DaemonSetCreateDistinguishesFieldsTheZeroObjectAlreadyHas() =>
        AssertUpdate(null, WithoutManagedFields(Golden.ResponseBody("57")), Golden.DaemonSet, "unknown", null, "57");

    [Fact]
    public void LeaseCreateAndUpdate()
    {
        AssertUpdate(null, Golden.RequestBody("62"), Golden.Lease, "unknown", null, "62");
        AssertUpdate(Golden.ResponseBody("62"), Golden.RequestBody("63"), Golden.Lease, "unknown", null, "63");
    }

    [Fact]
    public void DaemonSetStatusPatchAfterForceApply()
    {
        var before = Golden.ResponseBody("44");
        AssertUpdate(before, Golden.MergePatch(before, Golden.RequestBody("45")), Golden.DaemonSet, "unknown", "status", "45");
    }

    [Fact]
    public void UnchangedUpdateKeepsTheEntryAndItsTime()
    {
        var live = Golden.ResponseBody("23");

        var managed = fields.UpdateManagedFields(live, WithoutManagedFields(live), Golden.Widget, "unknown", null, Golden.Now.AddHours(1));

        Golden.AssertJsonEqual(ManagedFieldsOf(live), managed);
    }

    [Fact]
    public void AnotherUpdaterTakesOverWhatItChangesAndGetsItsOwnEntry()
    {
        var live = Golden.ResponseBody("26");
        var after = Golden.MergePatch(live, JsonNode.Parse("""{"spec":{"size":7}}""")!.AsObject());

        var managed = fields.UpdateManagedFields(live, after, Golden.Widget, "kubectl-edit", null, Golden.Now);

        var byManager = managed.ToDictionary(e => e!["manager"]!.GetValue<string>() + "/" + e["subresource"]?.GetValue<string>(), e => e!["fieldsV1"]!.ToJsonString());
        Assert.Equal("""{"f:spec":{".":{},"f:region":{}}}""", byManager["unknown/"]);
        Assert.Equal("""{"f:spec":{"f:size":{}}}""", byManager["kubectl-edit/"]);
        Assert.Equal("""{"f:status":{".":{},"f:conditions":{},"f:observedGeneration":{}}}""", byManager["unknown/status"]);
    }

    private static JsonObject WithoutManagedFields(JsonObject obj)
    {
        var copy = obj.DeepClone().AsObject();
        copy["metadata"]!.AsObject().Remove("managedFields");
        return copy;
    }
}
