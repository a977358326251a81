using System.Collections.Generic;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Aws.Model;

namespace GuardDutyCoverage.Tests.Aws;

/// <summary>
/// The requests our clients put on the wire equal what botocore 1.43 serializes for the same parameters
/// (method, path, query, JSON body, content type), and our SigV4 signatures equal botocore's.
/// </summary>
public sealed class BotocoreParityTests
{
    private sealed record Case(string Service, string Operation, JsonObject BotocoreParams, Func<HttpClient, Task> CallOurs, string CannedResponse);

    private static AwsRestJsonClient Transport(HttpClient http, AwsService service) =>
        new(http, new AwsServiceEndpoint(service, "us-east-1", new Uri("https://example.test")),
            AwsCredentialsSource.Static(new AwsCredentialValues("AKIDEXAMPLE", "secret")), LocalAws.FastRetry(), TimeProvider.System);

    private static GuardDutyClient GuardDuty(HttpClient http) => new(Transport(http, AwsService.GuardDuty));

    private static EksClient Eks(HttpClient http) => new(Transport(http, AwsService.Eks));

    private static IEnumerable<Case> Cases()
    {
        var filters = new CoverageFilterCriteria
        {
            FilterCriterion =
            [
                new CoverageFilterCriterion { CriterionKey = "RESOURCE_TYPE", FilterCondition = new CoverageFilterCondition { EqualsValues = ["EKS"] } },
                new CoverageFilterCriterion { CriterionKey = "COVERAGE_STATUS", FilterCondition = new CoverageFilterCondition { NotEquals = ["HEALTHY"] } },
                new CoverageFilterCriterion { CriterionKey = "EKS_CLUSTER_NAME", FilterCondition = new CoverageFilterCondition { EqualsValues = ["prod-1", "prod-2"], NotEquals = ["x"] } },
            ],
        };
        var botoFilters = JsonNode.Parse("""
            {"FilterCriterion":[
              {"CriterionKey":"RESOURCE_TYPE","FilterCondition":{"Equals":["EKS"]}},
              {"CriterionKey":"COVERAGE_STATUS","FilterCondition":{"NotEquals":["HEALTHY"]}},
              {"CriterionKey":"EKS_CLUSTER_NAME","FilterCondition":{"Equals":["prod-1","prod-2"],"NotEquals":["x"]}}]}
            """)!;

        yield return new Case("guardduty", "ListDetectors", new JsonObject { ["MaxResults"] = 50, ["NextToken"] = "tok/en+=" },
            http => GuardDuty(http).ListDetectorsAsync(50, "tok/en+=", default), """{"detectorIds":[]}""");
        yield return new Case("guardduty", "ListDetectors", new JsonObject(),
            http => GuardDuty(http).ListDetectorsAsync(null, null, default), """{"detectorIds":[]}""");
        yield return new Case("guardduty", "GetDetector", new JsonObject { ["DetectorId"] = LocalAws.DetectorId },
            http => GuardDuty(http).GetDetectorAsync(LocalAws.DetectorId, default), "{}");
        yield return new Case("guardduty", "ListCoverage", new JsonObject { ["DetectorId"] = LocalAws.DetectorId },
            http => GuardDuty(http).ListCoverageAsync(LocalAws.DetectorId, new ListCoverageRequest(), default), """{"resources":[]}""");
        yield return new Case("guardduty", "ListCoverage",
            new JsonObject
            {
                ["DetectorId"] = LocalAws.DetectorId,
                ["NextToken"] = "abc",
                ["MaxResults"] = 7,
                ["FilterCriteria"] = botoFilters.DeepClone(),
                ["SortCriteria"] = new JsonObject { ["AttributeName"] = "UPDATED_AT", ["OrderBy"] = "DESC" },
            },
            http => GuardDuty(http).ListCoverageAsync(LocalAws.DetectorId, new ListCoverageRequest
            {
                NextToken = "abc",
                MaxResults = 7,
                FilterCriteria = filters,
                SortCriteria = new CoverageSortCriteria { AttributeName = "UPDATED_AT", OrderBy = "DESC" },
            }, default),
            """{"resources":[]}""");
        yield return new Case("guardduty", "GetCoverageStatistics",
            new JsonObject
            {
                ["DetectorId"] = LocalAws.DetectorId,
                ["FilterCriteria"] = botoFilters.DeepClone(),
                ["StatisticsType"] = new JsonArray("COUNT_BY_COVERAGE_STATUS", "COUNT_BY_RESOURCE_TYPE"),
            },
            http => GuardDuty(http).GetCoverageStatisticsAsync(LocalAws.DetectorId, new GetCoverageStatisticsRequest
            {
                FilterCriteria = filters,
                StatisticsType = ["COUNT_BY_COVERAGE_STATUS", "COUNT_BY_RESOURCE_TYPE"],
            }, default),
            """{"coverageStatistics":{}}""");
        yield return new Case("eks", "DescribeCluster", new JsonObject { ["name"] = "prod-1" },
            http => Eks(http).DescribeClusterAsync("prod-1", default), """{"cluster":{"name":"prod-1"}}""");
        yield return new Case("eks", "DescribeAddon", new JsonObject { ["clusterName"] = "prod_1-a", ["addonName"] = "aws-guardduty-agent" },
            http => Eks(http).DescribeAddonAsync("prod_1-a", "aws-guardduty-agent", default), """{"addon":{"addonName":"aws-guardduty-agent"}}""");
        yield return new Case("eks", "DescribeAddonVersions",
            new JsonObject
            {
                ["kubernetesVersion"] = "1.31",
                ["maxResults"] = 5,
                ["nextToken"] = "n/t",
                ["addonName"] = "aws-guardduty-agent",
                ["types"] = new JsonArray("security", "a b"),
                ["publishers"] = new JsonArray("eks"),
                ["owners"] = new JsonArray("aws", "aws-marketplace"),
            },
            http => Eks(http).DescribeAddonVersionsAsync(new DescribeAddonVersionsRequest
            {
                KubernetesVersion = "1.31",
                MaxResults = 5,
                NextToken = "n/t",
                AddonName = "aws-guardduty-agent",
                Types = ["security", "a b"],
                Publishers = ["eks"],
                Owners = ["aws", "aws-marketplace"],
            }, default),
            """{"addons":[]}""");
        yield return new Case("eks", "UpdateAddon",
            new JsonObject
            {
                ["clusterName"] = "prod-1",
                ["addonName"] = "aws-guardduty-agent",
                ["addonVersion"] = "v1.11.0-eksbuild.4",
                ["serviceAccountRoleArn"] = "arn:aws:iam::111122223333:role/agent",
                ["resolveConflicts"] = "OVERWRITE",
                ["clientRequestToken"] = "6f1c3c1e-8f0e-4d7e-9d6c-0f7e9b1a2b3c",
                ["configurationValues"] = """{"priorityClassName":"aws-guardduty-agent.priorityclass-high"}""",
                ["podIdentityAssociations"] = new JsonArray(new JsonObject { ["serviceAccount"] = "sa", ["roleArn"] = "arn:aws:iam::111122223333:role/x" }),
            },
            http => Eks(http).UpdateAddonAsync("prod-1", "aws-guardduty-agent", new UpdateAddonRequest
            {
                AddonVersion = "v1.11.0-eksbuild.4",
                ServiceAccountRoleArn = "arn:aws:iam::111122223333:role/agent",
                ResolveConflicts = "OVERWRITE",
                ClientRequestToken = "6f1c3c1e-8f0e-4d7e-9d6c-0f7e9b1a2b3c",
                ConfigurationValues = """{"priorityClassName":"aws-guardduty-agent.priorityclass-high"}""",
                PodIdentityAssociations = [new AddonPodIdentityAssociation { ServiceAccount = "sa", RoleArn = "arn:aws:iam::111122223333:role/x" }],
            }, default),
            """{"update":{"id":"u1","status":"InProgress"}}""");
        yield return new Case("eks", "UpdateAddon",
            new JsonObject { ["clusterName"] = "prod-1", ["addonName"] = "aws-guardduty-agent", ["clientRequestToken"] = "t-1" },
            http => Eks(http).UpdateAddonAsync("prod-1", "aws-guardduty-agent", new UpdateAddonRequest { ClientRequestToken = "t-1" }, default),
            """{"update":{"id":"u1"}}""");
    }

    [BotocoreFact]
    public async Task EveryOperationSerializesLikeBotocore()
    {
        var cases = Cases().ToList();
        var input = new JsonObject
        {
            ["mode"] = "serialize",
            ["region"] = "us-east-1",
            ["cases"] = new JsonArray(cases.Select(c => (JsonNode)new JsonObject
            {
                ["service"] = c.Service,
                ["operation"] = c.Operation,
                ["params"] = c.BotocoreParams.DeepClone(),
                ["response"] = JsonNode.Parse(c.CannedResponse),
            }).ToArray()),
        };
        var expected = JsonNode.Parse(await PythonTools.RunAsync(PythonTools.Script("botocore_requests.py"), input.ToJsonString()))!.AsArray();
        Assert.Equal(cases.Count, expected.Count);
        var operations = new HashSet<string>();
        for (var i = 0; i < cases.Count; i++)
        {
            var handler = RecordingHandler.Json(cases[i].CannedResponse);
            using var http = new HttpClient(handler);
            await cases[i].CallOurs(http);
            var (request, body) = Assert.Single(handler.Requests);
            var botocore = expected[i]!;
            var label = $"case {i} ({cases[i].Operation})";
            Assert.True((string)botocore["method"]! == request.Method.Method, $"{label}: method {request.Method} vs botocore {botocore["method"]}");
            Assert.True((string)botocore["path"]! == request.RequestUri!.AbsolutePath, $"{label}: path {request.RequestUri.AbsolutePath} vs botocore {botocore["path"]}");
            Assert.Equal(SortedQuery((string)botocore["query"]!), SortedQuery(request.RequestUri.Query.TrimStart('?')));
            var botoBody = (string)botocore["body"]!;
            if (botoBody.Length == 0)
            {
                Assert.True(body.Length == 0, $"{label}: botocore sends no body, we send {body}");
                Assert.Null(request.Content);
            }
            else
            {
                Assert.True(JsonNode.DeepEquals(JsonNode.Parse(botoBody), JsonNode.Parse(body)), $"{label}: body {body} vs botocore {botoBody}");
                Assert.Equal((string?)botocore["contentType"], request.Content!.Headers.ContentType!.MediaType);
            }

            operations.Add(cases[i].Operation);
        }

        Assert.Equal(8, operations.Count);
    }

    [Fact]
    public async Task UpdateAddonFillsAFreshIdempotencyTokenPerCall()
    {
        var handler = RecordingHandler.Json("""{"update":{"id":"u1"}}""");
        using var http = new HttpClient(handler);
        var eks = Eks(http);
        await eks.UpdateAddonAsync("prod-1", "aws-guardduty-agent", new UpdateAddonRequest { ResolveConflicts = "OVERWRITE" }, default);
        await eks.UpdateAddonAsync("prod-1", "aws-guardduty-agent", new UpdateAddonRequest { ResolveConflicts = "OVERWRITE" }, default);
        var tokens = handler.Requests.Select(r => (string)JsonNode.Parse(r.Body)!["clientRequestToken"]!).ToList();
        Assert.Equal(2, tokens.Count);
        Assert.All(tokens, t => Assert.True(Guid.TryParse(t, out _), t));
        Assert.NotEqual(tokens[0], tokens[1]);
    }

    [BotocoreFact]
    public async Task SignaturesEqualBotocoreSigV4()
    {
        var time = new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.Zero);
        var requests = new (string Method, string Url, string? Body, AwsCredentialValues Credentials, string Service)[]
        {
            ("GET", "https://guardduty.us-east-1.amazonaws.com/detector?maxResults=50&nextToken=a%2Fb%2Bc%3D", null,
                new AwsCredentialValues("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), "guardduty"),
            ("POST", "https://guardduty.us-east-1.amazonaws.com/detector/12abc/coverage", """{"maxResults":50,"sortCriteria":{"attributeName":"UPDATED_AT"}}""",
                new AwsCredentialValues("ASIAEXAMPLE", "secret/key", "FwoGZXIvYXdzEJr//////////wEaDH session token"), "guardduty"),
            ("GET", "http://127.0.0.1:41234/addons/supported-versions?types=a%20b&types=c&kubernetesVersion=1.31&addonName=aws-guardduty-agent", null,
                new AwsCredentialValues("AKIDEXAMPLE", "secret", "tok"), "eks"),
            ("POST", "https://eks.eu-west-1.amazonaws.com/clusters/prod_1/addons/aws-guardduty-agent/update", """{"resolveConflicts":"OVERWRITE"}""",
                new AwsCredentialValues("AKIDEXAMPLE", "secret"), "eks"),
        };
        var cases = new JsonArray();
        var ours = new List<string>();
        foreach (var (method, url, body, credentials, service) in requests)
        {
            var uri = new Uri(url);
            var region = uri.Host.Split('.') is { Length: > 2 } parts && parts[0] is "guardduty" or "eks" ? parts[1] : "us-east-1";
            using var message = new HttpRequestMessage(new HttpMethod(method), uri);
            var headers = new JsonObject();
            if (body is not null)
            {
                message.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
                message.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
                headers["Content-Type"] = "application/json";
            }

            SigV4Signer.Sign(message, Encoding.UTF8.GetBytes(body ?? ""), credentials, region, service, time);
            ours.Add(message.Headers.Authorization!.ToString());
            Assert.Equal("20250304T050607Z", message.Headers.GetValues("X-Amz-Date").Single());
            if (credentials.SessionToken is not null)
            {
                Assert.Equal(credentials.SessionToken, message.Headers.GetValues("X-Amz-Security-Token").Single());
            }

            cases.Add(new JsonObject
            {
                ["method"] = method,
                ["url"] = url,
                ["headers"] = headers,
                ["body"] = body ?? "",
                ["service"] = service,
                ["region"] = region,
                ["accessKey"] = credentials.AccessKeyId,
                ["secretKey"] = credentials.SecretAccessKey,
                ["token"] = credentials.SessionToken,
                ["time"] = "20250304T050607Z",
            });
        }

        var input = new JsonObject { ["mode"] = "sign", ["cases"] = cases };
        var expected = JsonNode.Parse(await PythonTools.RunAsync(PythonTools.Script("botocore_requests.py"), input.ToJsonString()))!.AsArray();
        for (var i = 0; i < ours.Count; i++)
        {
            Assert.Equal((string)expected[i]!["authorization"]!, ours[i]);
        }
    }

    private static List<string> SortedQuery(string query) =>
        query.Split('&', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();
}
