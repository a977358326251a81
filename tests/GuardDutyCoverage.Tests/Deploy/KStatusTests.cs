using System.Text.Json.Nodes;

namespace GuardDutyCoverage.Tests.Deploy;

public sealed class KStatusTests
{
    public static TheoryData<StatusShape> Shapes => new(CoverageStatusShapes.All);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EveryOperatorStatusFollowsTheKStatusContract(StatusShape shape)
    {
        KStatus.AssertConforms(shape.Coverage);
        Assert.Equal(shape.KStatus, KStatus.Compute(shape.Json).Status);
    }

    [Theory]
    [InlineData("""{"observedGeneration":1,"conditions":[]}""", "condition Ready is missing")]
    [InlineData("""{"conditions":[{"type":"Ready","status":"True","reason":"Ok","lastTransitionTime":"2026-11-26T12:00:00Z"}]}""", "status.observedGeneration is missing")]
    [InlineData("""{"observedGeneration":9,"conditions":[{"type":"Ready","status":"True","reason":"Ok","lastTransitionTime":"2026-11-26T12:00:00Z"}]}""", "status.observedGeneration 9 is ahead of metadata.generation 2")]
    [InlineData("""{"observedGeneration":2,"conditions":[{"type":"Ready","status":"False","reason":"Ok","lastTransitionTime":"2026-11-26T12:00:00Z"},{"type":"Reconciling","status":"False","reason":"Done","lastTransitionTime":"2026-11-26T12:00:00Z"}]}""", "condition Reconciling is present with status False: remove it instead (abnormal-true)")]
    [InlineData("""{"observedGeneration":2,"conditions":[{"type":"Ready","status":"False","reason":"Ok","lastTransitionTime":"2026-11-26T12:00:00Z"},{"type":"Reconciling","status":"True","reason":"A","lastTransitionTime":"2026-11-26T12:00:00Z"},{"type":"Stalled","status":"True","reason":"B","lastTransitionTime":"2026-11-26T12:00:00Z"}]}""", "conditions Reconciling and Stalled are both present")]
    [InlineData("""{"observedGeneration":2,"conditions":[{"type":"Ready","status":"True","reason":"Ok","lastTransitionTime":"2026-11-26T12:00:00Z"},{"type":"Reconciling","status":"True","reason":"A","lastTransitionTime":"2026-11-26T12:00:00Z"}]}""", "Ready=True together with Reconciling or Stalled")]
    [InlineData("""{"observedGeneration":2,"conditions":[{"type":"Ready","status":"True","reason":"Ok","lastTransitionTime":"2026-11-26T12:00:00Z"},{"type":"Ready","status":"False","reason":"Ok","lastTransitionTime":"2026-11-26T12:00:00Z"}]}""", "condition Ready appears 2 times")]
    [InlineData("""{"observedGeneration":2,"conditions":[{"type":"Ready","status":"yes","reason":"Ok","lastTransitionTime":"2026-11-26T12:00:00Z"}]}""", "condition Ready: status \"yes\" is not True, False or Unknown")]
    [InlineData("""{"observedGeneration":2,"conditions":[{"type":"Ready","status":"True","reason":"coverage healthy","lastTransitionTime":"2026-11-26T12:00:00Z"}]}""", "condition Ready: reason \"coverage healthy\" is not CamelCase ([A-Za-z][A-Za-z0-9_,:]*)")]
    [InlineData("""{"observedGeneration":2,"conditions":[{"type":"Ready","status":"True","reason":"Ok"}]}""", "condition Ready: lastTransitionTime is missing")]
    public void CheckerNamesEachBrokenRule(string status, string violation)
    {
        var obj = JsonNode.Parse($$"""{"kind":"GuardDutyCoverage","metadata":{"generation":2},"status":{{status}}}""")!;
        Assert.Contains(violation, KStatus.Violations(obj));
    }

    [Fact]
    public void ComputeFollowsCliUtilsOrder()
    {
        static JsonNode Obj(string extra) => JsonNode.Parse(
            """{"kind":"GuardDutyCoverage","metadata":{"generation":2""" + extra
            + """},"status":{"observedGeneration":1,"conditions":[{"type":"Stalled","status":"True","message":"m"}]}}""")!;

        Assert.Equal((KStatusResult.Terminating, "Resource scheduled for deletion"), KStatus.Compute(Obj(",\"deletionTimestamp\":\"2026-11-26T12:00:00Z\"")));
        Assert.Equal((KStatusResult.InProgress, "GuardDutyCoverage generation is 2, but latest observed generation is 1"), KStatus.Compute(Obj("")));
        var current = JsonNode.Parse("""{"metadata":{"generation":2},"status":{"observedGeneration":2,"conditions":[{"type":"Stalled","status":"True","message":"m"}]}}""")!;
        Assert.Equal((KStatusResult.Failed, "m"), KStatus.Compute(current));
    }
}
