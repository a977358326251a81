using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GuardDutyCoverage.Runtime;
using Microsoft.Extensions.Time.Testing;
using k8s.Models;

namespace GuardDutyCoverage.Tests.Runtime;

public sealed partial class EventRecorderTests : IAsyncLifetime
{
    private const string EventsPath = "/apis/events.k8s.io/v1/namespaces/default/events";
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
    private readonly HashSet<string> created = [];
    private readonly V1ObjectReference regarding = new() { ApiVersion = "coverage.guardduty.io/v1alpha1", Kind = "GuardDutyCoverage", Name = "prod-eks-1", Uid = "u-1" };
    private ScriptedApiServer server = null!;
    private k8s.Kubernetes kubernetes = null!;
    private EventRecorder recorder = null!;

    public async Task InitializeAsync()
    {
        server = await ScriptedApiServer.StartAsync();
        kubernetes = server.CreateKubernetes();
        recorder = NewRecorder(new EventRecorderOptions { ReportingController = "coverage.guardduty.io/operator", ReportingInstance = "pod-a" });

        // Like the API server: a create returns the object; a patch of a known Event returns it, of an unknown one 404.
        server.On(r => r.Method == "POST" && r.Path == EventsPath, (c, r) =>
        {
            lock (created)
            {
                created.Add(r.Json!["metadata"]!["name"]!.GetValue<string>());
            }

            return ScriptedApiServer.RespondJsonAsync(c, 201, r.Json);
        }, once: false);
        server.On(r => r.Method == "PATCH" && r.Path.StartsWith(EventsPath + "/", StringComparison.Ordinal), (c, r) =>
        {
            bool known;
            lock (created)
            {
                known = created.Contains(r.Path[(EventsPath.Length + 1)..]);
            }

            return known
                ? ScriptedApiServer.RespondJsonAsync(c, 200, new JsonObject { ["apiVersion"] = "events.k8s.io/v1", ["kind"] = "Event", ["metadata"] = new JsonObject { ["name"] = "x" } })
                : ScriptedApiServer.RespondJsonAsync(c, 404, Golden.Load("17").ResponseBody);
        }, once: false);
    }

    public async Task DisposeAsync()
    {
        kubernetes.Dispose();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task TheFirstOccurrenceCreatesACompleteEvent()
    {
        await recorder.WarningAsync(regarding, "AgentPodsPending", "Reconcile", "2 of 3 agent pods are Pending");

        var request = Assert.Single(server.Requests);
        var body = request.Json!;
        Assert.Equal("POST", request.Method);
        Assert.Equal("Warning", body["type"]!.GetValue<string>());
        Assert.Equal("AgentPodsPending", body["reason"]!.GetValue<string>());
        Assert.Equal("Reconcile", body["action"]!.GetValue<string>());
        Assert.Equal("2 of 3 agent pods are Pending", body["note"]!.GetValue<string>());
        Assert.Equal("coverage.guardduty.io/operator", body["reportingController"]!.GetValue<string>());
        Assert.Equal("pod-a", body["reportingInstance"]!.GetValue<string>());
        Assert.Equal("2026-11-26T12:00:00.000000Z", body["eventTime"]!.GetValue<string>());
        Assert.Equal("prod-eks-1", body["regarding"]!["name"]!.GetValue<string>());
        Assert.Equal("GuardDutyCoverage", body["regarding"]!["kind"]!.GetValue<string>());
        Assert.Equal("default", body["metadata"]!["namespace"]!.GetValue<string>());
        Assert.Matches(EventName(), body["metadata"]!["name"]!.GetValue<string>());
        Assert.Null(body["series"]);
    }

    [Fact]
    public async Task RepeatsWithinTheWindowUpdateTheSeries()
    {
        await recorder.NormalAsync(regarding, "Healthy", "Reconcile", "coverage healthy");
        time.Advance(TimeSpan.FromMinutes(1));
        await recorder.NormalAsync(regarding, "Healthy", "Reconcile", "coverage healthy");
        time.Advance(TimeSpan.FromMinutes(5));
        await recorder.NormalAsync(regarding, "Healthy", "Reconcile", "coverage healthy");

        var requests = server.Requests.ToList();
        Assert.Equal(["POST", "PATCH", "PATCH"], requests.Select(r => r.Method));
        var name = requests[0].Json!["metadata"]!["name"]!.GetValue<string>();
        Assert.All(requests.Skip(1), r => Assert.Equal(EventsPath + "/" + name, r.Path));
        Assert.All(requests.Skip(1), r => Assert.Equal(KubePatch.MergeContentType, r.ContentType));
        Assert.Equal(2, requests[1].Json!["series"]!["count"]!.GetValue<int>());
        Assert.Equal("2026-11-26T12:01:00.000000Z", requests[1].Json!["series"]!["lastObservedTime"]!.GetValue<string>());
        Assert.Equal(3, requests[2].Json!["series"]!["count"]!.GetValue<int>());
        Assert.Equal(["series"], requests[2].Json!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public async Task AfterTheWindowOrWithADifferentNoteItIsANewEvent()
    {
        await recorder.WarningAsync(regarding, "Unhealthy", "Reconcile", "agent image changed");
        await recorder.WarningAsync(regarding, "Unhealthy", "Reconcile", "webhook denies the agent");
        await recorder.NormalAsync(regarding, "Unhealthy", "Reconcile", "agent image changed");
        time.Advance(TimeSpan.FromMinutes(6) + TimeSpan.FromSeconds(1));
        await recorder.WarningAsync(regarding, "Unhealthy", "Reconcile", "agent image changed");

        Assert.All(server.Requests, r => Assert.Equal("POST", r.Method));
        Assert.Equal(4, server.Requests.Count);
    }

    [Fact]
    public async Task AnExpiredEventIsCreatedAgain()
    {
        await recorder.NormalAsync(regarding, "Healthy", "Reconcile", "ok");
        var first = server.Requests.Single().Json!["metadata"]!["name"]!.GetValue<string>();

        // The API server dropped the Event (1 h TTL): the series update gets 404, and a new Event is created.
        time.Advance(TimeSpan.FromMinutes(1));
        lock (created)
        {
            created.Clear();
        }

        await recorder.NormalAsync(regarding, "Healthy", "Reconcile", "ok");

        var requests = server.Requests.ToList();
        Assert.Equal(["POST", "PATCH", "POST"], requests.Select(r => r.Method));
        var second = requests[2].Json!["metadata"]!["name"]!.GetValue<string>();
        Assert.NotEqual(first, second);
        Assert.Equal("2026-11-26T12:01:00.000000Z", requests[2].Json!["eventTime"]!.GetValue<string>());
    }

    [Fact]
    public async Task FailuresNeverReachTheCaller()
    {
        await using var failing = await ScriptedApiServer.StartAsync();
        failing.On(_ => true, (c, _) => ScriptedApiServer.RespondJsonAsync(c, 500, JsonNode.Parse("""{"kind":"Status","apiVersion":"v1","status":"Failure","message":"etcd down","reason":"InternalError","code":500}""")), once: false);
        using var client = failing.CreateKubernetes();
        var log = new ListLogger();
        var broken = new EventRecorder(new KubeApiClient(client), new EventRecorderOptions { ReportingController = "c", ReportingInstance = "i" }, time, log);

        await broken.WarningAsync(regarding, "Unhealthy", "Reconcile", "x");
        await broken.WarningAsync(regarding, "Unhealthy", "Reconcile", "x");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await broken.WarningAsync(regarding, "Unhealthy", "Reconcile", "x", cancelled.Token);
        await broken.RecordAsync(new V1ObjectReference(), "Sideways", "", "", "x");

        Assert.Equal(2, failing.Requests.Count);
        Assert.Contains(log.Entries, e => e.Message.Contains("etcd down", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StateIsBoundedAndNotesAreTruncated()
    {
        var small = NewRecorder(new EventRecorderOptions { ReportingController = "c", ReportingInstance = "i", MaxTrackedEvents = 2 });
        await small.NormalAsync(regarding, "A", "Reconcile", "1");
        await small.NormalAsync(regarding, "B", "Reconcile", "2");
        await small.NormalAsync(regarding, "C", "Reconcile", new string('é', 2000));
        Assert.Equal(2, small.TrackedCount);

        // "A" was forgotten, so its repeat is a new Event rather than a series update.
        await small.NormalAsync(regarding, "A", "Reconcile", "1");
        Assert.All(server.Requests, r => Assert.Equal("POST", r.Method));
        var note = server.Requests.ElementAt(2).Json!["note"]!.GetValue<string>();
        Assert.Equal(512, note.Length);
    }

    [Fact]
    public async Task NamespacedObjectsGetEventsInTheirNamespace()
    {
        server.On(r => r.Method == "POST" && r.Path == "/apis/events.k8s.io/v1/namespaces/amazon-guardduty/events", (c, r) => ScriptedApiServer.RespondJsonAsync(c, 201, r.Json));
        await recorder.WarningAsync(new V1ObjectReference { ApiVersion = "apps/v1", Kind = "DaemonSet", Name = "aws-guardduty-agent", NamespaceProperty = "amazon-guardduty" }, "ImageChanged", "Check", "x");
        Assert.Empty(server.Unscripted);
        Assert.Equal("amazon-guardduty", server.Requests.Single().Json!["regarding"]!["namespace"]!.GetValue<string>());
    }

    [GeneratedRegex(@"^prod-eks-1\.[0-9a-f]+$")]
    private static partial Regex EventName();

    private EventRecorder NewRecorder(EventRecorderOptions options) => new(new KubeApiClient(kubernetes), options, time);
}
