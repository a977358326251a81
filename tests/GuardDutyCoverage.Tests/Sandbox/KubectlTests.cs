namespace GuardDutyCoverage.Tests.Sandbox;

public sealed class KubectlTests
{
    /// <summary>The status patch of k8s-golden 71.</summary>
    internal const string ReadyPatch =
        """{"status":{"observedGeneration":1,"conditions":[{"type":"Ready","status":"True","reason":"AgentsHealthy","message":"all 3 agents are ready","lastTransitionTime":"2026-11-26T12:00:00Z","observedGeneration":1}]}}""";
}
