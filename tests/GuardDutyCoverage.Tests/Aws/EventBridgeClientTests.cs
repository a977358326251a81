using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Aws.Model;
using GuardDutyCoverage.Sandbox.Aws;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace GuardDutyCoverage.Tests.Aws;

/// <summary>
/// The thin EventBridge PutEvents client: the request equals botocore's for the same parameters (json 1.1: POST /,
/// X-Amz-Target, application/x-amz-json-1.1), botocore validates our body as the operation's input, the signature
/// equals botocore's SigV4, and the sandbox's SigV4 verifier and the events model accept what goes on the wire.
/// </summary>
public sealed class EventBridgeClientTests
{
    private const string Detail = """{"schemaVersion":"1.0","currentStatus":"UNHEALTHY","resourceDetails":{"resourceType":"EKS","eksClusterDetails":{"clusterName":"prod-1"}}}""";

    private static readonly ServiceModel EventsModel = ServiceModel.Load(RepoPaths.TestData("aws-models", "events-2015-10-07.service-2.json"));

    private static PutEventsRequest Request(string? bus = "security-events") => new()
    {
        Entries =
        [
            new PutEventsRequestEntry
            {
                Source = "guardduty-coverage-operator",
                DetailType = "GuardDuty Runtime Protection Unhealthy",
                Detail = Detail,
                Resources = ["arn:aws:eks:us-east-1:111122223333:cluster/prod-1"],
                EventBusName = bus,
            },
        ],
    };

    private static EventBridgeClient Client(HttpClient http, Uri endpoint, AwsCredentialValues credentials, TimeProvider? time = null) =>
        new(new AwsRestJsonClient(http, new AwsServiceEndpoint(AwsService.Events, "us-east-1", endpoint), AwsCredentialsSource.Static(credentials), LocalAws.FastRetry(), time ?? TimeProvider.System));

    [BotocoreFact]
    public async Task PutEventsSerializesLikeBotocoreAndBotocoreValidatesIt()
    {
        var handler = RecordingHandler.Json("""{"FailedEntryCount":0,"Entries":[{"EventId":"e-1"}]}""");
        using var http = new HttpClient(handler);
        var response = await Client(http, new Uri("https://example.test"), new AwsCredentialValues("AKIDEXAMPLE", "secret")).PutEventsAsync(Request(), default);
        Assert.Equal("e-1", response.Entries![0].EventId);
        var (request, body) = Assert.Single(handler.Requests);

        var botocoreParams = JsonNode.Parse("""
            {"Entries":[{"Source":"guardduty-coverage-operator","DetailType":"GuardDuty Runtime Protection Unhealthy",
              "Resources":["arn:aws:eks:us-east-1:111122223333:cluster/prod-1"],"EventBusName":"security-events"}]}
            """)!;
        botocoreParams["Entries"]![0]!["Detail"] = Detail;
        var input = new JsonObject
        {
            ["mode"] = "serialize",
            ["region"] = "us-east-1",
            ["cases"] = new JsonArray(new JsonObject
            {
                ["service"] = "events",
                ["operation"] = "PutEvents",
                ["params"] = botocoreParams,
                ["response"] = new JsonObject { ["FailedEntryCount"] = 0, ["Entries"] = new JsonArray() },
            }),
        };
        var botocore = JsonNode.Parse(await PythonTools.RunAsync(PythonTools.Script("botocore_requests.py"), input.ToJsonString()))![0]!;
        Assert.Equal((string)botocore["method"]!, request.Method.Method);
        Assert.Equal((string)botocore["path"]!, request.RequestUri!.AbsolutePath);
        Assert.Equal((string)botocore["query"]!, request.RequestUri.Query.TrimStart('?'));
        Assert.Equal("application/x-amz-json-1.1", (string)botocore["contentType"]!);
        Assert.Equal((string)botocore["contentType"]!, request.Content!.Headers.ContentType!.ToString());
        Assert.Equal("AWSEvents.PutEvents", (string)botocore["target"]!);
        Assert.Equal((string)botocore["target"]!, request.Headers.GetValues("X-Amz-Target").Single());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse((string)botocore["body"]!), JsonNode.Parse(body)), $"body {body} vs botocore {botocore["body"]}");

        var validation = new JsonObject
        {
            ["mode"] = "validate",
            ["cases"] = new JsonArray(new JsonObject { ["service"] = "events", ["operation"] = "PutEvents", ["body"] = body }),
        };
        var report = JsonNode.Parse(await PythonTools.RunAsync(PythonTools.Script("botocore_requests.py"), validation.ToJsonString()))![0]!;
        Assert.Equal("", (string)report["errors"]!);
    }

    [BotocoreFact]
    public async Task TheSignatureEqualsBotocoresAndSignsTheTarget()
    {
        var time = new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.Zero);
        const string body = """{"Entries":[{"Source":"guardduty-coverage-operator","DetailType":"GuardDuty Runtime Protection Healthy","Detail":"{}"}]}""";
        var credentials = new AwsCredentialValues("ASIAEXAMPLE", "secret/key", "session token");
        using var message = new HttpRequestMessage(HttpMethod.Post, "https://events.us-east-1.amazonaws.com/");
        message.Headers.TryAddWithoutValidation("X-Amz-Target", "AWSEvents.PutEvents");
        message.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        message.Content.Headers.TryAddWithoutValidation("Content-Type", "application/x-amz-json-1.1");
        SigV4Signer.Sign(message, Encoding.UTF8.GetBytes(body), credentials, "us-east-1", "events", time);
        var ours = message.Headers.Authorization!.ToString();
        Assert.Contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target,", ours, StringComparison.Ordinal);

        var input = new JsonObject
        {
            ["mode"] = "sign",
            ["cases"] = new JsonArray(new JsonObject
            {
                ["method"] = "POST",
                ["url"] = "https://events.us-east-1.amazonaws.com/",
                ["headers"] = new JsonObject { ["Content-Type"] = "application/x-amz-json-1.1", ["X-Amz-Target"] = "AWSEvents.PutEvents" },
                ["body"] = body,
                ["service"] = "events",
                ["region"] = "us-east-1",
                ["accessKey"] = credentials.AccessKeyId,
                ["secretKey"] = credentials.SecretAccessKey,
                ["token"] = credentials.SessionToken,
                ["time"] = "20250304T050607Z",
            }),
        };
        var expected = JsonNode.Parse(await PythonTools.RunAsync(PythonTools.Script("botocore_requests.py"), input.ToJsonString()))![0]!;
        Assert.Equal((string)expected["authorization"]!, ours);
    }

    [Fact]
    public async Task TheSandboxVerifiesTheSignatureAndTheModelAcceptsTheBody()
    {
        var credentials = LocalAwsServer.TestCredentials;
        var verifier = new SigV4Verifier([credentials], TimeProvider.System);
        var received = new List<(SignatureFailure? Signature, IReadOnlyList<ModelViolation> Violations, string? Target)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        app.Run(async context =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            var bytes = buffer.ToArray();
            var rawTarget = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
            var signature = verifier.Verify(context.Request.Method, rawTarget, name => context.Request.Headers.TryGetValue(name, out var v) ? string.Join(",", v.ToArray()) : null, bytes, EventsModel.SigningName, out _);
            var violations = EventsModel.ValidateValue("PutEventsRequest", JsonNode.Parse(bytes));
            lock (received)
            {
                received.Add((signature, violations, context.Request.Headers["X-Amz-Target"].ToString()));
            }

            context.Response.StatusCode = signature?.Status ?? 200;
            context.Response.ContentType = "application/x-amz-json-1.1";
            await context.Response.WriteAsync(signature is null
                ? """{"FailedEntryCount":0,"Entries":[{"EventId":"11710aed-b79e-4468-a20b-bb3c0c3b4860"}]}"""
                : new JsonObject { ["__type"] = signature.Code, ["message"] = signature.Message }.ToJsonString());
        });
        await app.StartAsync();
        using var http = new HttpClient();
        var endpoint = new Uri(app.Urls.First());

        var ok = await Client(http, endpoint, new AwsCredentialValues(credentials.AccessKeyId, credentials.SecretAccessKey)).PutEventsAsync(Request(), default);
        Assert.Equal(0, ok.FailedEntryCount);
        var (signature, violations, target) = Assert.Single(received);
        Assert.Null(signature);
        Assert.Empty(violations);
        Assert.Equal("AWSEvents.PutEvents", target);

        // A wrong secret is refused by the verifier; the client reports it as a rejected identity.
        var denied = await Assert.ThrowsAsync<AwsServiceException>(() =>
            Client(http, endpoint, new AwsCredentialValues(credentials.AccessKeyId, "wrong")).PutEventsAsync(Request(), default));
        Assert.True(denied.Kind == AwsFailureKind.AccessDenied, denied.Message);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal("events:PutEvents", denied.IamAction);
    }

    [Theory]
    [InlineData("bad bus name")]
    [InlineData("arn:aws:events:us-east-1:1234:event-bus/x")]
    public async Task AnInvalidBusIsRefusedBeforeAnythingIsSent(string bus)
    {
        var handler = RecordingHandler.Json("{}");
        using var http = new HttpClient(handler);
        await Assert.ThrowsAsync<AwsConfigurationException>(() => Client(http, new Uri("https://example.test"), new AwsCredentialValues("a", "b")).PutEventsAsync(Request(bus), default));
        Assert.Empty(handler.Requests);
    }
}
