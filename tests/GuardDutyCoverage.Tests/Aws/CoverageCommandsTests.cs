using System.CommandLine;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Aws.Model;
using GuardDutyCoverage.Cli;
using GuardDutyCoverage.Sandbox.Aws;

namespace GuardDutyCoverage.Tests.Aws;

public sealed class CoverageCommandsTests
{
    private static async Task<(int Exit, string Out, string Err)> Run(CoverageCliServices services, params string[] args)
    {
        var root = new RootCommand("test");
        root.Subcommands.Add(CoverageCommands.Create(services));
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    private static CoverageCliServices With(IAwsClientFactory factory, string? defaultRegion = null) =>
        new(() => new CoverageCliSession(factory, new AwsRegionResolver(name => name == "AWS_REGION" ? defaultRegion : null, null), null));

    private static CoverageCliServices Local() =>
        new(() =>
        {
            var http = new HttpClient();
            var credentials = AwsCredentialsSource.Static(LocalAws.TestCredentials);
            var factory = new AwsClientFactory(http, credentials, new AwsClientOptions { Retry = LocalAws.FastRetry() });
            return new CoverageCliSession(factory, new AwsRegionResolver(_ => null, null), new CompositeDisposable(factory, credentials, http));
        });

    private sealed class CompositeDisposable(params IDisposable[] items) : IDisposable
    {
        public void Dispose()
        {
            foreach (var item in items)
            {
                item.Dispose();
            }
        }
    }

    [Theory]
    [InlineData("list", "--filter", "CLUSTER=prod", "unknown key \"CLUSTER\"; valid keys: ACCOUNT_ID, RESOURCE_TYPE, COVERAGE_STATUS, ADDON_VERSION, CLUSTER_NAME, ECS_CLUSTER_NAME, MANAGEMENT_TYPE, EKS_CLUSTER_NAME, AGENT_VERSION, INSTANCE_ID, CLUSTER_ARN")]
    [InlineData("list", "--filter", "EKS_CLUSTER_NAME", "is not KEY=V1,V2 or KEY!=V1,V2")]
    [InlineData("list", "--filter", "EKS_CLUSTER_NAME=a,,b", "empty value")]
    [InlineData("list", "--sort", "NAME:DESC", "valid keys: ACCOUNT_ID, COVERAGE_STATUS, ISSUE, ADDON_VERSION, UPDATED_AT, CLUSTER_NAME, EKS_CLUSTER_NAME, ECS_CLUSTER_NAME, INSTANCE_ID")]
    [InlineData("list", "--sort", "UPDATED_AT:DOWN", "order must be ASC or DESC")]
    [InlineData("list", "--max-results", "51", "--max-results must be 1 to 50, not 51")]
    [InlineData("list", "--max-items", "0", "--max-items must be at least 1")]
    [InlineData("list", "-o", "yaml", "use table or json")]
    [InlineData("list", "--endpoint-url", "localhost:4566", "not an absolute http(s) URL")]
    [InlineData("stats", "--type", "COUNT_BY_REGION", "valid types: COUNT_BY_RESOURCE_TYPE, COUNT_BY_COVERAGE_STATUS")]
    [InlineData("stats", "--filter", "REGION!=x", "unknown key \"REGION\"")]
    public async Task InvalidArgumentsAreRefusedBeforeAnyRequestListingWhatIsValid(string command, string option, string value, string expected)
    {
        var aws = new FakeAws();
        var (exit, output, error) = await Run(With(aws), "coverage", command, "--region", "us-east-1", option, value);
        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.StartsWith("error: ", error);
        Assert.Contains(expected, error);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
        Assert.Empty(aws.ClientRequests);
    }

    [Fact]
    public async Task AwsErrorsAndMissingRegionAreOneLineWithExitCode2()
    {
        var aws = new FakeAws();
        var (exit, _, error) = await Run(With(aws), "coverage", "list");
        Assert.Equal(2, exit);
        Assert.StartsWith("error: no AWS Region", error);

        (exit, _, error) = await Run(With(aws, "us-east-1"), "coverage", "list");
        Assert.Equal(2, exit);
        Assert.Equal("error: GuardDuty is not enabled in us-east-1: ListDetectors returned no detector\n", error);

        aws.AddDetector("us-east-1", LocalAws.DetectorId);
        aws.Fail("ListCoverage", FakeAws.ServiceError("GuardDuty", "ListCoverage", "AccessDeniedException", "User x is not authorized to perform: guardduty:ListCoverage", System.Net.HttpStatusCode.Forbidden));
        (exit, _, error) = await Run(With(aws, "us-east-1"), "coverage", "list");
        Assert.Equal(2, exit);
        Assert.Equal("error: GuardDuty ListCoverage: AccessDeniedException: User x is not authorized to perform: guardduty:ListCoverage\n", error);
    }

    [Fact]
    public async Task ListDiscoversTheDetectorFollowsEveryPageAndStopsAtMaxItems()
    {
        var aws = new FakeAws();
        aws.AddDetector("eu-west-1", LocalAws.DetectorId);
        for (var i = 0; i < 7; i++)
        {
            aws.PutCoverage("eu-west-1", aws.EksCoverage(LocalAws.DetectorId, $"c-{i}", i == 3 ? "UNHEALTHY" : "HEALTHY", issue: i == 3 ? "Local EKS clusters: EKS addons are not supported on local outpost clusters." : null));
        }

        var (exit, output, _) = await Run(With(aws, "eu-west-1"), "coverage", "list", "--max-results", "2", "--sort", "EKS_CLUSTER_NAME:DESC", "-o", "json");
        Assert.Equal(0, exit);
        var resources = JsonNode.Parse(output)!["resources"]!.AsArray();
        Assert.Equal(["c-6", "c-5", "c-4", "c-3", "c-2", "c-1", "c-0"], resources.Select(r => (string)r!["resourceId"]!));
        Assert.Equal(1, aws.Calls("ListDetectors"));
        Assert.Equal(4, aws.Calls("ListCoverage"));

        (exit, output, _) = await Run(With(aws, "eu-west-1"), "coverage", "list", "--max-results", "2", "--max-items", "3", "--detector-id", LocalAws.DetectorId, "-o", "json");
        Assert.Equal(0, exit);
        Assert.Equal(3, JsonNode.Parse(output)!["resources"]!.AsArray().Count);
        Assert.Equal(6, aws.Calls("ListCoverage"));
        Assert.Equal(1, aws.Calls("ListDetectors"));
    }

    [Fact]
    public async Task TableAndJsonAgainstTheLocalEndpoints()
    {
        await using var local = await LocalAws.StartAsync();
        var t = new DateTimeOffset(2025, 6, 1, 12, 30, 0, TimeSpan.Zero);
        local.State.PutCoverage(LocalAwsState.EksCoverage(LocalAws.DetectorId, LocalAws.AccountId, "prod-1", "HEALTHY", coveredNodes: 4, compatibleNodes: 4, updatedAt: t));
        local.State.PutCoverage(LocalAwsState.EksCoverage(LocalAws.DetectorId, LocalAws.AccountId, "prod-2", "UNHEALTHY", managementType: "MANUAL", addonVersion: "v1.8.1-eksbuild.2",
            issue: "Addon Status Unhealthy: EKS Addon issue - AdmissionRequestDenied: admission webhook denied", coveredNodes: 0, compatibleNodes: 5, updatedAt: t.AddHours(1)));
        local.State.PutCoverage(LocalAwsState.EksCoverage(LocalAws.DetectorId, "444455556666", "dev-1", "HEALTHY", updatedAt: t));
        var endpoint = local.Server.Endpoint.ToString();
        string[] common = ["--region", LocalAws.Region, "--endpoint-url", endpoint, "--detector-id", LocalAws.DetectorId];

        var (exit, table, error) = await Run(Local(), ["coverage", "list", .. common, "--filter", "ACCOUNT_ID=111122223333", "--sort", "UPDATED_AT:DESC"]);
        Assert.True(exit == 0, error);
        var lines = table.TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^CLUSTER\s+ACCOUNT\s+STATUS\s+MANAGEMENT\s+ADDON VERSION\s+NODES\s+UPDATED\s+ISSUE$", lines[0]);
        Assert.Matches(@"^prod-2\s+111122223333\s+UNHEALTHY\s+MANUAL\s+v1\.8\.1-eksbuild\.2\s+0/5\s+2025-06-01T13:30:00Z\s+Addon Status Unhealthy: EKS Addon issue - AdmissionRequestDenied: admission webhook denied$", lines[1]);
        Assert.Matches(@"^prod-1\s+111122223333\s+HEALTHY\s+AUTO_MANAGED\s+v1\.11\.0-eksbuild\.4\s+4/4\s+2025-06-01T12:30:00Z\s*$", lines[2]);
        var sent = local.State.Requests.Last(r => r.Operation == "ListCoverage");
        var body = JsonNode.Parse(sent.Body)!;
        Assert.Equal("RESOURCE_TYPE", (string)body["filterCriteria"]!["filterCriterion"]![0]!["criterionKey"]!);
        Assert.Equal("DESC", (string)body["sortCriteria"]!["orderBy"]!);

        (exit, var json, error) = await Run(Local(), ["coverage", "list", .. common, "--filter", "COVERAGE_STATUS!=UNHEALTHY", "-o", "json"]);
        Assert.True(exit == 0, error);
        var resources = JsonNode.Parse(json)!["resources"]!.AsArray();
        Assert.Equal(["prod-1", "dev-1"], resources.Select(r => (string)r!["resourceDetails"]!["eksClusterDetails"]!["clusterName"]!));
        Assert.Equal(LocalAwsState.Epoch(t), (double)resources[0]!["updatedAt"]!);

        (exit, var stats, error) = await Run(Local(), ["coverage", "stats", .. common]);
        Assert.True(exit == 0, error);
        Assert.Matches(@"COVERAGE STATUS\s+COUNT\nHEALTHY\s+2\nUNHEALTHY\s+1\nCoverage: 66\.7% \(2 healthy of 3\)\n$", stats);

        (exit, var byType, error) = await Run(Local(), ["coverage", "stats", .. common, "--type", "COUNT_BY_RESOURCE_TYPE", "--filter", "ACCOUNT_ID=111122223333", "-o", "json"]);
        Assert.True(exit == 0, error);
        var report = JsonNode.Parse(byType)!;
        Assert.Equal(2, (long)report["counts"]!["EKS"]!);
        Assert.Equal(50.0, (double)report["coveragePercent"]!);
        Assert.Equal(1, (long)report["healthy"]!);
        var statsRequest = JsonNode.Parse(local.State.Requests.Last(r => r.Operation == "GetCoverageStatistics").Body)!;
        Assert.Equal(["COUNT_BY_RESOURCE_TYPE", "COUNT_BY_COVERAGE_STATUS"], statsRequest["statisticsType"]!.AsArray().Select(v => (string)v!));
    }

    [Theory]
    [InlineData(3, 1, 75.0)]
    [InlineData(0, 4, 0.0)]
    [InlineData(2, 1, 66.67)]
    [InlineData(0, 0, null)]
    public void ThePercentageIsHealthyOverAll(long healthy, long unhealthy, double? expected)
    {
        var counts = new Dictionary<string, long>();
        if (healthy > 0)
        {
            counts["HEALTHY"] = healthy;
        }

        if (unhealthy > 0)
        {
            counts["UNHEALTHY"] = unhealthy;
        }

        var report = CoverageReport.From(CoverageStatisticsTypeValues.CountByCoverageStatus, new CoverageStatistics { CountByCoverageStatus = counts });
        Assert.Equal(expected, report.CoveragePercent);
        Assert.Equal(healthy + unhealthy, report.Total);
    }

    [Fact]
    public void FiltersMapToTheModelsShape()
    {
        var criteria = CoverageCommands.ParseFilters(["EKS_CLUSTER_NAME=a, b", "MANAGEMENT_TYPE!=MANUAL", "ADDON_VERSION=v1=2"]).FilterCriterion!;
        Assert.Equal(["RESOURCE_TYPE", "EKS_CLUSTER_NAME", "MANAGEMENT_TYPE", "ADDON_VERSION"], criteria.Select(c => c.CriterionKey));
        Assert.Equal(["a", "b"], criteria[1].FilterCondition!.EqualsValues!);
        Assert.Equal(["MANUAL"], criteria[2].FilterCondition!.NotEquals!);
        Assert.Equal(["v1=2"], criteria[3].FilterCondition!.EqualsValues!);
        var explicitType = CoverageCommands.ParseFilters(["RESOURCE_TYPE=ECS,EC2"]).FilterCriterion!;
        Assert.Equal(["ECS", "EC2"], Assert.Single(explicitType).FilterCondition!.EqualsValues!);
        Assert.Equal(new CoverageSortCriteria { AttributeName = "ISSUE", OrderBy = "DESC" }, CoverageCommands.ParseSort("ISSUE:desc"));
        Assert.Equal("ASC", CoverageCommands.ParseSort("ACCOUNT_ID")!.OrderBy);
    }
}
