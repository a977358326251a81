using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Aws.Model;
using GuardDutyCoverage.Sandbox.Aws;
using GuardDutyCoverage.Tests.Aws;
using Xunit.Abstractions;

namespace GuardDutyCoverage.Tests.Fuzz;

/// <summary>
/// AWS answers the operator did not expect, through the real rest-json clients (SigV4, retries off): malformed JSON,
/// members of the wrong type, huge pages and strings, error statuses with damaged bodies, and paging loops. Every call
/// either returns or fails with an <see cref="AwsException"/> that says what was wrong; nothing else escapes.
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class AwsResponseFuzzTests(ITestOutputHelper output)
{
    public const int Inputs = 600;

    private const string Detector = LocalAws.DetectorId;

    /// <summary>Wire answers of the local endpoints (checked against botocore and the AWS CLI elsewhere).</summary>
    private static readonly (string Operation, JsonNode Body)[] Answers =
    [
        ("ListCoverage", new JsonObject
        {
            ["resources"] = new JsonArray(
                LocalAwsState.EksCoverage(Detector, LocalAws.AccountId, "prod-eks-1", "HEALTHY"),
                LocalAwsState.EksCoverage(Detector, LocalAws.AccountId, "dev-eks-2", "UNHEALTHY", issue: "Addon Creation Failed:x")),
            ["nextToken"] = "page-2",
        }),
        ("GetDetector", LocalAwsState.Detector()),
        ("ListDetectors", new JsonObject { ["detectorIds"] = new JsonArray(Detector) }),
        ("DescribeAddon", new JsonObject { ["addon"] = LocalAwsState.GuardDutyAddon("prod-eks-1", issues: ("InsufficientNumberOfReplicas", "not enough")) }),
        ("DescribeCluster", new JsonObject { ["cluster"] = LocalAwsState.Cluster("prod-eks-1") }),
        ("DescribeAddonVersions", new JsonObject { ["addons"] = new JsonArray(LocalAwsState.AddonInfo("aws-guardduty-agent", "security", ("v1.11.0-eksbuild.4", ["1.31", "1.32"]))) }),
    ];

    private static readonly int[] Statuses = [200, 200, 200, 200, 200, 200, 400, 403, 404, 429, 500, 503];

    private sealed record Answer(string Operation, int Status, string Body)
    {
        public override string ToString() => $"{Operation} {Status}: {FuzzRunner.Describe(Body)}";
    }

    private static Gen<Answer> Responses() =>
        Mutations.Seeded(Answers).Select(s =>
        {
            var random = new Random(s.Mutation);
            var status = Statuses[random.Next(Statuses.Length)];
            JsonNode? body = status == 200
                ? s.Seed.Body
                : new JsonObject { ["__type"] = random.Next(2) == 0 ? "ThrottlingException" : "BadRequestException", ["message"] = Mutations.RandomText(random, 30) };
            var text = random.Next(5) switch
            {
                0 => Mutations.MutateText(body!.ToJsonString(), random),
                1 => Encoding.UTF8.GetString(Mutations.MutateBytes(Encoding.UTF8.GetBytes(body!.ToJsonString()), random)),
                _ => Mutations.MutateJson(body, random)?.ToJsonString() ?? "null",
            };
            return new Answer(s.Seed.Operation, status, text);
        });

    private static async Task<string?> CallAsync(Answer answer)
    {
        using var handler = new RecordingHandler(_ => new HttpResponseMessage((HttpStatusCode)answer.Status)
        {
            Content = new StringContent(answer.Body, Encoding.UTF8, "application/json"),
        });
        using var http = new HttpClient(handler);
        using var credentials = AwsCredentialsSource.Static(LocalAws.TestCredentials);
        var endpoint = new Uri("https://guardduty.us-east-1.amazonaws.com");
        AwsRestJsonClient Transport(AwsService service) =>
            new(http, new AwsServiceEndpoint(service, LocalAws.Region, endpoint), credentials, LocalAws.FastRetry(attempts: 1), TimeProvider.System);
        var guardDuty = new GuardDutyClient(Transport(AwsService.GuardDuty));
        var eks = new EksClient(Transport(AwsService.Eks));
        try
        {
            switch (answer.Operation)
            {
                // Listing operations go through the paging extensions, as the operator calls them.
                case "ListCoverage":
                    _ = (await guardDuty.ListAllCoverageAsync(Detector, new ListCoverageRequest(), null, default)).Count;
                    break;
                case "GetDetector":
                    _ = await guardDuty.GetDetectorAsync(Detector, default);
                    break;
                case "ListDetectors":
                    _ = (await guardDuty.ListAllDetectorsAsync(default)).Count;
                    break;
                case "DescribeAddon":
                    _ = await eks.DescribeAddonAsync("prod-eks-1", "aws-guardduty-agent", default);
                    break;
                case "DescribeCluster":
                    _ = await eks.DescribeClusterAsync("prod-eks-1", default);
                    break;
                default:
                    _ = (await eks.DescribeAllAddonVersionsAsync(new DescribeAddonVersionsRequest(), default)).Count;
                    break;
            }

            // A lookup (DescribeAddon, DescribeCluster) may read an error answer as "not found"; nothing else may succeed on one.
            return answer.Status == 200 || answer.Operation is "DescribeAddon" or "DescribeCluster" ? null : $"a {answer.Status} answer was taken as a success";
        }
        catch (AwsServiceException e)
        {
            return string.IsNullOrWhiteSpace(e.ErrorCode) || string.IsNullOrWhiteSpace(e.Message) ? "an AwsServiceException without code or message" : null;
        }
    }

    [Fact]
    public async Task UnexpectedAnswersAreAwsErrorsNotCrashes()
    {
        var outcome = await FuzzRunner.RunAsync("AWS responses", Responses(), Inputs * FuzzRunner.Scale, CallAsync, a => a.ToString());
        output.WriteLine(outcome.ToString());
        FuzzRunner.AssertClean(outcome, Inputs);
    }

    public static TheoryData<string, int> PagingLoops => new()
    {
        { "the same token forever", 1 },
        { "two tokens in a cycle", 2 },
        { "a new token on every page", int.MaxValue },
    };

    [Theory]
    [MemberData(nameof(PagingLoops))]
    public async Task PagingLoopsEndWithAnError(string what, int cycle)
    {
        var pages = 0;
        using var handler = new RecordingHandler(_ =>
        {
            var token = $"token-{pages++ % cycle}";
            var body = new JsonObject
            {
                ["resources"] = new JsonArray(LocalAwsState.EksCoverage(Detector, LocalAws.AccountId, $"c-{pages}", "HEALTHY")),
                ["nextToken"] = token,
            };
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        });
        using var http = new HttpClient(handler);
        using var credentials = AwsCredentialsSource.Static(LocalAws.TestCredentials);
        var client = new GuardDutyClient(new AwsRestJsonClient(
            http, new AwsServiceEndpoint(AwsService.GuardDuty, LocalAws.Region, new Uri("https://guardduty.us-east-1.amazonaws.com")), credentials, LocalAws.FastRetry(attempts: 1), TimeProvider.System));

        var error = await Assert.ThrowsAsync<AwsServiceException>(() => client.ListAllCoverageAsync(Detector, new ListCoverageRequest(), null, default).WaitAsync(FuzzRunner.HangLimit));
        output.WriteLine($"{what}: {pages} pages, {error.Message}");
        Assert.Equal(AwsServiceException.LocalCodes.PagingLoop, error.ErrorCode);
        Assert.True(pages <= 10_001, $"{pages} pages");
    }

    [Fact]
    public async Task AHugePageIsRead()
    {
        var resources = new JsonArray();
        for (var i = 0; i < 20_000; i++)
        {
            resources.Add(LocalAwsState.EksCoverage(Detector, LocalAws.AccountId, $"cluster-{i}", i % 7 == 0 ? "UNHEALTHY" : "HEALTHY"));
        }

        var body = new JsonObject { ["resources"] = resources }.ToJsonString();
        using var handler = RecordingHandler.Json(body);
        using var http = new HttpClient(handler);
        using var credentials = AwsCredentialsSource.Static(LocalAws.TestCredentials);
        var client = new GuardDutyClient(new AwsRestJsonClient(
            http, new AwsServiceEndpoint(AwsService.GuardDuty, LocalAws.Region, new Uri("https://guardduty.us-east-1.amazonaws.com")), credentials, LocalAws.FastRetry(attempts: 1), TimeProvider.System));
        var all = await client.ListAllCoverageAsync(Detector, new ListCoverageRequest(), null, default);
        Assert.Equal(20_000, all.Count);
        output.WriteLine($"one page of {body.Length / 1024 / 1024} MB with 20,000 resources read");
    }
}
