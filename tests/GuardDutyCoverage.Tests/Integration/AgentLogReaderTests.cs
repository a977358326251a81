using System.Text.Json.Nodes;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Diagnosis;

namespace GuardDutyCoverage.Tests.Integration;

/// <summary>
/// <c>--read-agent-logs</c> end to end: a crash-looping agent whose termination message is empty; its previous log
/// (served by the sandbox's <c>pods/log</c>) names the kernel cause. Without the opt-in no log is ever requested.
/// </summary>
public sealed class AgentLogReaderTests
{
    private const string Ns = "amazon-guardduty";
    private const string Pod = "aws-guardduty-agent-p2";

    private const string PreviousLog = """
        time="2026-12-05T23:50:01Z" level=info msg="starting aws-guardduty-agent v1.17.1"
        time="2026-12-05T23:50:01Z" level=info msg="loading eBPF programs"
        libbpf: failed to find valid kernel BTF
        time="2026-12-05T23:50:02Z" level=fatal msg="failed to load eBPF programs" error="BPF skeleton load failed: no BTF found for kernel version 4.14.355"

        """;

    private static void CrashLoopWithAnEmptyTerminationMessage(OperatorUnderTest it)
    {
        var pod = it.Sandbox.Cluster.Get("v1", "Pod", Ns, Pod)!;
        pod["status"] = JsonNode.Parse("""
            {"phase":"Running","conditions":[{"type":"Ready","status":"False"}],
             "containerStatuses":[{"name":"aws-guardduty-agent","ready":false,"restartCount":7,"image":"x","imageID":"",
               "state":{"waiting":{"reason":"CrashLoopBackOff","message":"back-off 2m40s restarting failed container"}},
               "lastState":{"terminated":{"exitCode":1,"reason":"Error"}}}]}
            """);
        it.Sandbox.Cluster.Upsert(pod);
        var ds = it.Sandbox.Cluster.Get("apps/v1", "DaemonSet", Ns, "aws-guardduty-agent")!;
        ds["status"]!["numberAvailable"] = 2;
        ds["status"]!["numberReady"] = 2;
        it.Sandbox.Cluster.Upsert(ds);
    }

    private static List<KubeSandbox.SandboxRequest> LogRequests(OperatorUnderTest it) =>
        it.Sandbox.Requests.Where(r => r.Subresource == "log").ToList();

    [Fact]
    public async Task WithTheOptInThePreviousLogNamesTheKernelCause()
    {
        await using var it = await OperatorUnderTest.StartAsync(CatalogV2ScenarioTests.HealthyClusterWithNodes, options: OperatorUnderTest.IntegrationDefaults with { ReadAgentLogs = true });
        it.Sandbox.Cluster.SetContainerLog(Ns, Pod, "aws-guardduty-agent", PreviousLog, previous: true);
        it.ApplyCoverage();
        await it.WaitForReadyAsync(ConditionStatus.True);
        // Nothing crash-loops: no log is read.
        Assert.Empty(LogRequests(it));

        CrashLoopWithAnEmptyTerminationMessage(it);
        var status = await it.WaitForFindingAsync(ReasonCodes.AgentKernelUnsupported);
        var finding = status.Findings!.Single(f => f.Reason == ReasonCodes.AgentKernelUnsupported);
        Assert.Contains($"{Pod} on ", finding.Message, StringComparison.Ordinal);
        Assert.Contains("libbpf: failed to find valid kernel BTF", finding.Message, StringComparison.Ordinal);
        // Explained by the kernel, the pod is not counted again as a generic crash loop.
        Assert.DoesNotContain(status.Findings!, f => f.Reason == ReasonCodes.AgentPodsCrashLooping);

        var request = LogRequests(it).First();
        Assert.Equal("get", request.Verb);
        Assert.Equal($"/api/v1/namespaces/{Ns}/pods/{Pod}/log", request.Path);
        Assert.Contains("previous=true", request.Query, StringComparison.Ordinal);
        Assert.Contains("container=aws-guardduty-agent", request.Query, StringComparison.Ordinal);
        Assert.Contains("tailLines=50", request.Query, StringComparison.Ordinal);
        Assert.Equal(200, request.StatusCode);
    }

    [Fact]
    public async Task WithoutTheOptInNoLogIsReadAndTheCrashLoopStaysGeneric()
    {
        await using var it = await OperatorUnderTest.StartAsync(CatalogV2ScenarioTests.HealthyClusterWithNodes);
        it.Sandbox.Cluster.SetContainerLog(Ns, Pod, "aws-guardduty-agent", PreviousLog, previous: true);
        it.ApplyCoverage();
        await it.WaitForReadyAsync(ConditionStatus.True);

        CrashLoopWithAnEmptyTerminationMessage(it);
        var status = await it.WaitForFindingAsync(ReasonCodes.AgentPodsCrashLooping);
        Assert.DoesNotContain(status.Findings!, f => f.Reason == ReasonCodes.AgentKernelUnsupported);
        Assert.Empty(LogRequests(it));
    }

    [Fact]
    public async Task TheSandboxServesPodLogsLikeTheApiServer()
    {
        await using var it = await OperatorUnderTest.StartAsync(startOperator: false);
        it.Sandbox.Cluster.SetContainerLog(Ns, Pod, "aws-guardduty-agent", "one\ntwo\nthree\n");
        Assert.Equal("two\nthree\n", await it.Api.GetPodLogAsync(Ns, Pod, "aws-guardduty-agent", previous: false, tailLines: 2, limitBytes: 1024));
        Assert.Equal("two", await it.Api.GetPodLogAsync(Ns, Pod, "aws-guardduty-agent", previous: false, tailLines: 2, limitBytes: 3));
        Assert.Null(await it.Api.GetPodLogAsync(Ns, "no-such-pod", "aws-guardduty-agent", previous: false, tailLines: 2, limitBytes: 1024));
        var noPrevious = await Assert.ThrowsAsync<GuardDutyCoverage.Runtime.KubeApiException>(() => it.Api.GetPodLogAsync(Ns, Pod, "aws-guardduty-agent", previous: true, tailLines: 2, limitBytes: 1024));
        Assert.Contains($"previous terminated container \"aws-guardduty-agent\" in pod \"{Pod}\" not found", noPrevious.Message, StringComparison.Ordinal);
        var wrongContainer = await Assert.ThrowsAsync<GuardDutyCoverage.Runtime.KubeApiException>(() => it.Api.GetPodLogAsync(Ns, Pod, "sidecar", previous: false, tailLines: 2, limitBytes: 1024));
        Assert.Contains($"container sidecar is not valid for pod {Pod}", wrongContainer.Message, StringComparison.Ordinal);
    }
}
