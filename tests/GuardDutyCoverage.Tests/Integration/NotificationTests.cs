using System.Text.Json.Nodes;
using System.Threading.Channels;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Controller;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Util;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace GuardDutyCoverage.Tests.Integration;

/// <summary>
/// <c>spec.notify.webhookSecretRef</c>: a POST on every verdict change, the URL from a Secret in the operator's
/// namespace; the receiver parses the body as GuardDuty's Runtime Protection event.
/// </summary>
public sealed class NotificationTests
{

    /// <summary>The Secret coverage-webhook in the operator's namespace holds the URL; the CR's spec.notify points at it.</summary>
    private static void NotifyThroughSecret(OperatorUnderTest it, string url)
    {
        it.Sandbox.Cluster.LoadYaml($"""
            apiVersion: v1
            kind: Namespace
            metadata: {"{"}name: {OperatorUnderTest.OperatorNamespace}{"}"}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {"{"}name: coverage-webhook, namespace: {OperatorUnderTest.OperatorNamespace}{"}"}
            stringData: {"{"}url: "{url}"{"}"}
            """);
        it.ApplyCoverage(spec: s => s["notify"] = new JsonObject { ["webhookSecretRef"] = new JsonObject { ["name"] = "coverage-webhook" } });
    }
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private Receiver(WebApplication app, Channel<JsonObject> received)
        {
            _app = app;
            Received = received;
        }

        public Channel<JsonObject> Received { get; }

        public string Url => _app.Urls.First() + "/hook";

        public static async Task<Receiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var received = Channel.CreateUnbounded<JsonObject>();
            app.MapPost("/hook", async (HttpContext context) =>
            {
                var body = await JsonNode.ParseAsync(context.Request.Body);
                await received.Writer.WriteAsync(body!.AsObject());
                return Results.Ok();
            });
            await app.StartAsync();
            return new Receiver(app, received);
        }

        public async Task<JsonObject> NextAsync() =>
            await Received.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        public ValueTask DisposeAsync() => _app.DisposeAsync();
    }

    [Fact]
    public async Task VerdictChangesArePostedToTheWebhookInTheSecret()
    {
        await using var receiver = await Receiver.StartAsync();
        // The receiver is plain HTTP on loopback: allowed only because the operator's configuration says so.
        await using var it = await OperatorUnderTest.StartAsync(options: OperatorUnderTest.IntegrationDefaults with { AllowedNotificationUrls = OriginAllowList.Parse("http://127.0.0.1", NotificationTransport.Flag) });
        NotifyThroughSecret(it, receiver.Url);

        // GuardDuty's own Runtime Protection event shape, with the operator's source and its extension.
        var first = await receiver.NextAsync();
        Assert.Equal("0", first["version"]!.GetValue<string>());
        Assert.True(Guid.TryParse(first["id"]!.GetValue<string>(), out _));
        Assert.Equal(GuardDutyEventBuilder.HealthyDetailType, first["detail-type"]!.GetValue<string>());
        Assert.Equal("guardduty-coverage-operator", first["source"]!.GetValue<string>());
        var detail = first["detail"]!;
        Assert.Equal("1.0", detail["schemaVersion"]!.GetValue<string>());
        Assert.Equal("HEALTHY", detail["currentStatus"]!.GetValue<string>());
        Assert.Equal("EKS", detail["resourceDetails"]!["resourceType"]!.GetValue<string>());
        Assert.Equal(OperatorUnderTest.ClusterName, detail["resourceDetails"]!["eksClusterDetails"]!["clusterName"]!.GetValue<string>());
        Assert.Equal("CoverageHealthy", detail["coverageOperator"]!["reasonCode"]!.GetValue<string>());
        Assert.Contains("coverage Healthy", first["text"]!.GetValue<string>());

        it.Sandbox.Cluster.Delete("scheduling.k8s.io/v1", "PriorityClass", null, "aws-guardduty-agent.priorityclass");
        var second = await receiver.NextAsync();
        Assert.Equal(GuardDutyEventBuilder.UnhealthyDetailType, second["detail-type"]!.GetValue<string>());
        var unhealthy = second["detail"]!;
        Assert.Equal("UNHEALTHY", unhealthy["currentStatus"]!.GetValue<string>());
        Assert.Equal("HEALTHY", unhealthy["previousStatus"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(unhealthy["issue"]!.GetValue<string>()));
        Assert.Equal(ReasonCodes.PriorityClassMissing, unhealthy["coverageOperator"]!["reasonCode"]!.GetValue<string>());
        var finding = unhealthy["coverageOperator"]!["findings"]![0]!;
        Assert.Equal(ReasonCodes.PriorityClassMissing, finding["reason"]!.GetValue<string>());
        Assert.NotEmpty(finding["steps"]!.AsArray());
    }

    [Fact]
    public async Task ALoopbackWebhookIsRefusedByDefaultAndTheEventDoesNotContainTheUrl()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var it = await OperatorUnderTest.StartAsync();
        NotifyThroughSecret(it, receiver.Url);
        await it.WaitForReadyAsync(ConditionStatus.True);

        var note = await it.WaitForEventAsync("NotificationFailed");
        Assert.Contains("plain http", note);
        Assert.Contains("coverage-webhook", note);
        var port = new Uri(receiver.Url).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.DoesNotContain(port, note);
        Assert.DoesNotContain("/hook", note);
        Assert.DoesNotContain(it.Logs.Lines, l => l.Contains(receiver.Url, StringComparison.Ordinal) || l.Contains("127.0.0.1:" + port, StringComparison.Ordinal));
        Assert.False(receiver.Received.Reader.TryRead(out _));
        var status = it.Coverage()!.Status!;
        Assert.DoesNotContain(port, System.Text.Json.JsonSerializer.Serialize(status, ApiJsonContext.Default.GuardDutyCoverageStatus));
    }

    [Fact]
    public async Task AMissingSecretIsAWarningEventNotAFailedReconcile()
    {
        await using var it = await OperatorUnderTest.StartAsync();
        it.ApplyCoverage(spec: s => s["notify"] = new JsonObject { ["webhookSecretRef"] = new JsonObject { ["name"] = "absent" } });
        await it.WaitForReadyAsync(ConditionStatus.True);
        var events = await it.WaitForEventAsync("NotificationFailed");
        Assert.Contains("absent", events);
    }
}
