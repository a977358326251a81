using GuardDutyCoverage.Api;
using GuardDutyCoverage.Controller;
using GuardDutyCoverage.Diagnosis;
using Microsoft.Extensions.Time.Testing;

namespace GuardDutyCoverage.Tests.Integration;

/// <summary>
/// Transitions that mean something, on the sandbox with the operator's default confirmation window and a fake clock:
/// a DaemonSet roll-out is progress (a Normal event, never a Warning); a new unhealthy state is announced only once
/// the clock has moved past the window.
/// </summary>
public sealed class TransitionTests
{
    private static readonly OperatorOptions Defaults = new();

    /// <summary>The Events; <c>Count</c> is the series count (the recorder folds a repeated event into one object).</summary>
    private static List<(string Type, string Reason, string Note, long Count)> Events(OperatorUnderTest it) =>
        it.Sandbox.Cluster.List("events.k8s.io/v1", "Event")
            .Select(e => (e["type"]?.GetValue<string>() ?? "", e["reason"]?.GetValue<string>() ?? "", e["note"]?.GetValue<string>() ?? "",
                e["series"]?["count"]?.GetValue<long>() ?? 1))
            .ToList();

    [Fact]
    public async Task ADaemonSetRolloutEmitsNoWarning()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), Defaults.UnhealthyConfirmation);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var it = await OperatorUnderTest.StartAsync(options: Defaults, time: clock);
        it.ApplyCoverage();
        await it.WaitForReadyAsync(ConditionStatus.True);
        await it.WaitForEventAsync("CoverageHealthy");

        // Event names carry their time (as client-go's do): a step of the clock keeps them apart.
        clock.Advance(TimeSpan.FromSeconds(1));

        // The image changes: the DaemonSet controller has not caught up (observedGeneration behind) and one pod of
        // three is updated, the others are replaced one by one.
        var ds = it.Sandbox.Cluster.Get("apps/v1", "DaemonSet", "amazon-guardduty", "aws-guardduty-agent")!;
        var containers = ds["spec"]!["template"]!["spec"]!["containers"]!.AsArray();
        containers[0]!["image"] = containers[0]!["image"]!.GetValue<string>().Replace("v1.", "v9.", StringComparison.Ordinal);
        ds["status"]!["updatedNumberScheduled"] = 1;
        ds["status"]!["numberAvailable"] = 2;
        it.Sandbox.Cluster.Upsert(ds);
        var rolling = await it.WaitForStatusAsync(s => s.Conditions.Find(ConditionTypes.Ready)?.Reason == "RolloutInProgress", what: "RolloutInProgress");
        Assert.Equal(ConditionStatus.True, rolling.Conditions.Find(ConditionTypes.Reconciling)!.Status);
        await it.WaitForEventAsync("CoverageReconciling");

        // All pods updated and available.
        clock.Advance(TimeSpan.FromSeconds(1));
        ds = it.Sandbox.Cluster.Get("apps/v1", "DaemonSet", "amazon-guardduty", "aws-guardduty-agent")!;
        ds["status"]!["observedGeneration"] = ds["metadata"]!["generation"]!.GetValue<long>();
        ds["status"]!["updatedNumberScheduled"] = ds["status"]!["desiredNumberScheduled"]!.GetValue<long>();
        ds["status"]!["numberAvailable"] = ds["status"]!["desiredNumberScheduled"]!.GetValue<long>();
        it.Sandbox.Cluster.Upsert(ds);
        await it.WaitForStatusAsync(s => s.Conditions.Find(ConditionTypes.Ready)?.Status == ConditionStatus.True && s.Conditions.Find(ConditionTypes.Reconciling) is null, what: "Ready again");
        await it.WaitForStatusAsync(_ => Events(it).Where(e => e.Reason == "CoverageHealthy").Sum(e => e.Count) >= 2, what: "CoverageHealthy after the roll-out");

        var warnings = Events(it).Where(e => e.Type == "Warning").ToList();
        Assert.True(warnings.Count == 0, "Warnings during a roll-out: " + string.Join("; ", warnings.Select(w => $"{w.Reason}: {w.Note}")));
    }

    [Fact]
    public async Task ANewCauseIsAnnouncedOnceTheConfirmationWindowHasPassedOnTheClock()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var it = await OperatorUnderTest.StartAsync(options: Defaults, time: clock);
        it.ApplyCoverage();
        await it.WaitForReadyAsync(ConditionStatus.True);

        it.Sandbox.Cluster.Delete("scheduling.k8s.io/v1", "PriorityClass", null, "aws-guardduty-agent.priorityclass");
        var status = await it.WaitForFindingAsync(ReasonCodes.PriorityClassMissing);
        Assert.Equal(ReasonCodes.PriorityClassMissing, status.Conditions.Find(ConditionTypes.Ready)!.Reason);
        Assert.DoesNotContain(Events(it), e => e.Type == "Warning");

        // The reconciler asked to look again when the window ends; move the clock past it (again, should the request
        // for a second look have been made after a move).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!Events(it).Any(e => e.Reason == "CoverageUnhealthy") && DateTime.UtcNow < deadline)
        {
            clock.Advance(Defaults.UnhealthyConfirmation + TimeSpan.FromSeconds(1));
            await Task.Delay(100);
        }

        var note = await it.WaitForEventAsync("CoverageUnhealthy");
        Assert.StartsWith(ReasonCodes.PriorityClassMissing + ": ", note, StringComparison.Ordinal);
    }
}
