using System.Text.Json.Nodes;
using KubeSandbox;
using KubeSandbox.Semantics;

namespace GuardDutyCoverage.Tests.Sandbox.Semantics;

/// <summary>
/// The GuardDuty-agent DaemonSet story of k8s-golden 40-44: eks applies it, kubectl-edit changes the image with a
/// strategic merge patch and takes the field over, eks re-applies and conflicts, then forces.
/// </summary>
public sealed class ServerSideApplyGoldenTests
{
    private readonly FieldManager fields = new();

    [Fact]
    public void ApplyCreateOwnsExactlyTheAppliedFields()
    {
        var recorded = Golden.ResponseBody("40");

        var outcome = fields.Apply(null, Golden.YamlRequestBody("40"), Golden.DaemonSet, "eks", force: false, null, Golden.ClockAt(recorded));

        Assert.Empty(outcome.Conflicts);
        var result = outcome.Result!;
        Golden.AssertJsonEqual(Golden.WithoutTimes(recorded["metadata"]!["managedFields"]), Golden.WithoutTimes(result["metadata"]!["managedFields"]));
        Assert.Equal(Golden.ClockAt(recorded), Golden.ClockAt(result));

        // What apply produces before the server defaults it: the configuration on the zero DaemonSet.
        Golden.AssertJsonEqual(Golden.YamlRequestBody("40")["spec"]!["selector"], result["spec"]!["selector"]);
        Golden.AssertJsonEqual(
            JsonNode.Parse("""{"creationTimestamp":null,"labels":{"name":"aws-guardduty-agent"}}"""),
            result["spec"]!["template"]!["metadata"]);
        Golden.AssertJsonEqual(
            JsonNode.Parse("""[{"name":"aws-guardduty-agent","image":"602401143452.dkr.ecr.us-east-1.amazonaws.com/aws-guardduty-agent:v1.17.1"}]"""),
            result["spec"]!["template"]!["spec"]!["containers"]);
        Golden.AssertJsonEqual(recorded["status"], result["status"]);
        Assert.Equal("amazon-guardduty", result["metadata"]!["namespace"]!.GetValue<string>());
    }

    [Fact]
    public void StrategicMergePatchOfTheImageMergesTheContainerByName()
    {
        var live = Golden.ResponseBody("40");

        var patched = fields.StrategicMergePatch(live, Golden.RequestBody("41"), Golden.DaemonSet);

        var recorded = Golden.ResponseBody("41");
        Golden.AssertJsonEqual(recorded["spec"], patched["spec"]);
        Golden.AssertJsonEqual(live["metadata"], patched["metadata"]);
    }

    [Fact]
    public void UpdateByKubectlEditTakesTheImageFromTheApplier()
    {
        var live = Golden.ResponseBody("40");
        var patched = fields.StrategicMergePatch(live, Golden.RequestBody("41"), Golden.DaemonSet);
        var recorded = Golden.ResponseBody("41");

        var managed = fields.UpdateManagedFields(live, patched, Golden.DaemonSet, "kubectl-edit", null, Golden.ClockAt(recorded));

        Golden.AssertJsonEqual(Golden.WithoutTimes(recorded["metadata"]!["managedFields"]), Golden.WithoutTimes(managed));
        Golden.AssertJsonEqual(Golden.WithoutTimes(Golden.ResponseBody("42")["metadata"]!["managedFields"]), Golden.WithoutTimes(managed));
    }

    [Fact]
    public void ReapplyWithoutForceConflictsWithKubectlEdit()
    {
        var live = Golden.ResponseBody("42");

        var outcome = fields.Apply(live, Golden.YamlRequestBody("43"), Golden.DaemonSet, "eks", force: false, null, Golden.Now);

        Assert.Null(outcome.Result);
        var conflict = Assert.Single(outcome.Conflicts);
        Assert.Equal(new ApplyConflict("kubectl-edit", "apps/v1", ".spec.template.spec.containers[name=\"aws-guardduty-agent\"].image", "Update", null), conflict);
        Golden.AssertJsonEqual(Golden.ResponseBody("43"), ApiStatus.ApplyConflict(outcome.Conflicts));
    }

    [Fact]
    public void ReapplyWithForceTakesTheImageBackAndRemovesTheEmptiedEntry()
    {
        var live = Golden.ResponseBody("42");
        var recorded = Golden.ResponseBody("44");

        var outcome = fields.Apply(live, Golden.YamlRequestBody("44"), Golden.DaemonSet, "eks", force: true, null, Golden.ClockAt(recorded));

        Assert.Empty(outcome.Conflicts);
        var result = outcome.Result!;
        Golden.AssertJsonEqual(Golden.WithoutTimes(recorded["metadata"]!["managedFields"]), Golden.WithoutTimes(result["metadata"]!["managedFields"]));
        Golden.AssertJsonEqual(recorded["spec"], result["spec"]);
        Golden.AssertJsonEqual(recorded["status"], result["status"]);
    }

    [Fact]
    public void TheWholeStoryChainsFromTheFirstApply()
    {
        var applied = fields.Apply(null, Golden.YamlRequestBody("40"), Golden.DaemonSet, "eks", false, null, Golden.Now).Result!;
        // The server would default the object here; the recorded defaults are what it added.
        var stored = Golden.ResponseBody("40");
        stored["metadata"]!["managedFields"] = applied["metadata"]!["managedFields"]!.DeepClone();

        var patched = fields.StrategicMergePatch(stored, Golden.RequestBody("41"), Golden.DaemonSet);
        patched["metadata"]!["managedFields"] = fields.UpdateManagedFields(stored, patched, Golden.DaemonSet, "kubectl-edit", null, Golden.Now.AddSeconds(1));

        var conflict = fields.Apply(patched, Golden.YamlRequestBody("43"), Golden.DaemonSet, "eks", false, null, Golden.Now.AddSeconds(2));
        Golden.AssertJsonEqual(Golden.ResponseBody("43"), ApiStatus.ApplyConflict(conflict.Conflicts));

        var forced = fields.Apply(patched, Golden.YamlRequestBody("44"), Golden.DaemonSet, "eks", true, null, Golden.Now.AddSeconds(3)).Result!;
        Golden.AssertJsonEqual(
            Golden.WithoutTimes(Golden.ResponseBody("44")["metadata"]!["managedFields"]),
            Golden.WithoutTimes(forced["metadata"]!["managedFields"]));
        Assert.Equal("2026-11-26T16:53:10Z", forced["metadata"]!["managedFields"]![0]!["time"]!.GetValue<string>());
    }
}
