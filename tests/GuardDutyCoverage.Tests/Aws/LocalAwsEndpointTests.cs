using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Aws.Model;
using GuardDutyCoverage.Sandbox.Aws;

namespace GuardDutyCoverage.Tests.Aws;

/// <summary>The local GuardDuty/EKS endpoints: model validation, signatures, state, paging; checked with our clients and the real AWS CLI.</summary>
public sealed class LocalAwsEndpointTests
{
    private static void SeedFleet(LocalAwsState state)
    {
        var t0 = new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);
        state.PutCoverage(LocalAwsState.EksCoverage(LocalAws.DetectorId, LocalAws.AccountId, "prod-1", "HEALTHY", updatedAt: t0.AddMinutes(5)));
        state.PutCoverage(LocalAwsState.EksCoverage(LocalAws.DetectorId, LocalAws.AccountId, "prod-2", "UNHEALTHY",
            issue: "Addon Status Unhealthy: EKS Addon issue - InsufficientNumberOfReplicas: The add-on is unhealthy because it doesn't have the desired number of replicas.",
            coveredNodes: 1, compatibleNodes: 4, updatedAt: t0.AddMinutes(1)));
        state.PutCoverage(LocalAwsState.EksCoverage(LocalAws.DetectorId, "444455556666", "dev-1", "HEALTHY", managementType: "MANUAL", addonVersion: "v1.8.1-eksbuild.2", updatedAt: t0.AddMinutes(3)));
        state.PutCoverage(LocalAwsState.EksCoverage(LocalAws.DetectorId, LocalAws.AccountId, "stage-1", "UNHEALTHY", issue: "Local EKS clusters: EKS addons are not supported on local outpost clusters.", updatedAt: t0.AddMinutes(2)));
        state.PutCoverage(new JsonObject
        {
            ["resourceId"] = "ecs-1",
            ["detectorId"] = LocalAws.DetectorId,
            ["accountId"] = LocalAws.AccountId,
            ["resourceDetails"] = new JsonObject { ["resourceType"] = "ECS", ["ecsClusterDetails"] = new JsonObject { ["clusterName"] = "ecs-1" } },
            ["coverageStatus"] = "HEALTHY",
            ["updatedAt"] = LocalAwsState.Epoch(t0),
        });
    }

    private static CoverageFilterCriterion Equal(string key, params string[] values) =>
        new() { CriterionKey = key, FilterCondition = new CoverageFilterCondition { EqualsValues = values } };

    [Fact]
    public async Task ListCoverageFiltersSortsAndPagesWithRealTokens()
    {
        await using var aws = await LocalAws.StartAsync();
        SeedFleet(aws.State);
        var client = aws.GuardDuty();
        var request = new ListCoverageRequest
        {
            MaxResults = 1,
            FilterCriteria = new CoverageFilterCriteria { FilterCriterion = [Equal("RESOURCE_TYPE", "EKS")] },
            SortCriteria = new CoverageSortCriteria { AttributeName = "UPDATED_AT", OrderBy = "DESC" },
        };
        var all = await client.ListAllCoverageAsync(LocalAws.DetectorId, request, null, default);
        Assert.Equal(["prod-1", "dev-1", "stage-1", "prod-2"], all.Select(r => r.ResourceDetails!.EksClusterDetails!.ClusterName));
        Assert.Equal(4, aws.State.CountRequests("ListCoverage"));

        var firstTwo = await client.ListAllCoverageAsync(LocalAws.DetectorId, request, 2, default);
        Assert.Equal(["prod-1", "dev-1"], firstTwo.Select(r => r.ResourceId));
        Assert.Equal(6, aws.State.CountRequests("ListCoverage"));

        var unhealthyOrManual = await client.ListAllCoverageAsync(LocalAws.DetectorId, new ListCoverageRequest
        {
            FilterCriteria = new CoverageFilterCriteria
            {
                FilterCriterion =
                [
                    new CoverageFilterCriterion { CriterionKey = "ACCOUNT_ID", FilterCondition = new CoverageFilterCondition { NotEquals = ["444455556666"] } },
                    Equal("COVERAGE_STATUS", "UNHEALTHY"),
                ],
            },
            SortCriteria = new CoverageSortCriteria { AttributeName = "EKS_CLUSTER_NAME", OrderBy = "ASC" },
        }, null, default);
        Assert.Equal(["prod-2", "stage-1"], unhealthyOrManual.Select(r => r.ResourceId));
        var prod2 = unhealthyOrManual[0];
        Assert.Equal(1, prod2.ResourceDetails!.EksClusterDetails!.CoveredNodes);
        Assert.Equal(new DateTimeOffset(2025, 6, 1, 0, 1, 0, TimeSpan.Zero), prod2.UpdatedAt);
        Assert.StartsWith("Addon Status Unhealthy", prod2.Issue);
    }

    [Fact]
    public async Task StatisticsAreComputedFromTheCurrentState()
    {
        await using var aws = await LocalAws.StartAsync();
        SeedFleet(aws.State);
        var client = aws.GuardDuty();
        var request = new GetCoverageStatisticsRequest
        {
            FilterCriteria = new CoverageFilterCriteria { FilterCriterion = [Equal("RESOURCE_TYPE", "EKS")] },
            StatisticsType = [CoverageStatisticsTypeValues.CountByCoverageStatus, CoverageStatisticsTypeValues.CountByResourceType],
        };
        var stats = (await client.GetCoverageStatisticsAsync(LocalAws.DetectorId, request, default)).CoverageStatistics!;
        Assert.Equal(2, stats.CountByCoverageStatus!["HEALTHY"]);
        Assert.Equal(2, stats.CountByCoverageStatus["UNHEALTHY"]);
        Assert.Equal(4, stats.CountByResourceType!["EKS"]);

        aws.State.PutCoverage(LocalAwsState.EksCoverage(LocalAws.DetectorId, LocalAws.AccountId, "prod-2", "HEALTHY"));
        stats = (await client.GetCoverageStatisticsAsync(LocalAws.DetectorId, request, default)).CoverageStatistics!;
        Assert.Equal(3, stats.CountByCoverageStatus!["HEALTHY"]);
    }

    [Fact]
    public async Task RequestsThatBreakTheModelGetA400NamingTheMember()
    {
        await using var aws = await LocalAws.StartAsync();
        var guardDuty = aws.Transport(AwsService.GuardDuty);
        async Task<AwsServiceException> Post(string path, string body) =>
            await Assert.ThrowsAsync<AwsServiceException>(() => guardDuty.SendAsync(
                "ListCoverage", HttpMethod.Post, path, [], Encoding.UTF8.GetBytes(body), AwsJsonContext.Default.ListCoverageResponse, default));

        var tooMany = await Post($"/detector/{LocalAws.DetectorId}/coverage", """{"maxResults":51}""");
        Assert.Equal("BadRequestException", tooMany.ErrorCode);
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Contains("'maxResults'", tooMany.Message);
        Assert.Contains("less than or equal to 50", tooMany.Message);

        var unknown = await Post($"/detector/{LocalAws.DetectorId}/coverage", """{"maxResult":5}""");
        Assert.Contains("Unknown member 'maxResult'", unknown.Message);

        var badEnum = await Post($"/detector/{LocalAws.DetectorId}/coverage", """{"filterCriteria":{"filterCriterion":[{"criterionKey":"CLUSTER","filterCondition":{"equals":["x"]}}]}}""");
        Assert.Contains("filterCriteria.filterCriterion.1.criterionKey", badEnum.Message);
        Assert.Contains("EKS_CLUSTER_NAME", badEnum.Message);

        var wrongType = await Post($"/detector/{LocalAws.DetectorId}/coverage", """{"maxResults":"5"}""");
        Assert.Contains("must be an integer", wrongType.Message);

        var missing = await Assert.ThrowsAsync<AwsServiceException>(() => guardDuty.SendAsync(
            "GetCoverageStatistics", HttpMethod.Post, $"/detector/{LocalAws.DetectorId}/coverage/statistics", [], "{}"u8.ToArray(),
            AwsJsonContext.Default.GetCoverageStatisticsResponse, default));
        Assert.Contains("Value null at 'statisticsType'", missing.Message);

        var eks = aws.Transport(AwsService.Eks);
        var badQuery = await Assert.ThrowsAsync<AwsServiceException>(() => eks.SendAsync(
            "DescribeAddonVersions", HttpMethod.Get, "/addons/supported-versions", [new("maxResults", "101"), new("color", "red")], null,
            AwsJsonContext.Default.DescribeAddonVersionsResponse, default));
        Assert.Equal("InvalidParameterException", badQuery.ErrorCode);
        Assert.Contains("2 validation errors", badQuery.Message);
        Assert.Contains("'color' is not a query parameter", badQuery.Message);

        var badClusterName = await Assert.ThrowsAsync<AwsServiceException>(() => eks.SendAsync(
            "DescribeAddon", HttpMethod.Get, "/clusters/-bad/addons/aws-guardduty-agent", [], null, AwsJsonContext.Default.DescribeAddonResponse, default));
        Assert.Contains("regular expression pattern", badClusterName.Message);

        Assert.Equal(0, aws.State.Requests.Count(r => r.Status != 200));
    }

    [Fact]
    public async Task BadSignaturesAndUnknownKeysAreRefusedLikeAws()
    {
        await using var aws = await LocalAws.StartAsync();
        using var http = new HttpClient();
        AwsRestJsonClient With(AwsCredentialValues credentials, TimeProvider? time = null) => new(
            http, new AwsServiceEndpoint(AwsService.GuardDuty, LocalAws.Region, aws.Server.Endpoint),
            AwsCredentialsSource.Static(credentials), LocalAws.FastRetry(), time ?? TimeProvider.System);

        var wrongSecret = await Assert.ThrowsAsync<AwsServiceException>(() => new GuardDutyClient(With(LocalAws.TestCredentials with { SecretAccessKey = "wrong" }))
            .ListCoverageAsync(LocalAws.DetectorId, new ListCoverageRequest(), default));
        Assert.Equal("InvalidSignatureException", wrongSecret.ErrorCode);
        Assert.Equal(HttpStatusCode.Forbidden, wrongSecret.StatusCode);
        Assert.Contains("does not match the signature you provided", wrongSecret.Message);

        var unknownKey = await Assert.ThrowsAsync<AwsServiceException>(() => new GuardDutyClient(With(new AwsCredentialValues("AKIDNOBODY", "x")))
            .ListCoverageAsync(LocalAws.DetectorId, new ListCoverageRequest(), default));
        Assert.Equal("UnrecognizedClientException", unknownKey.ErrorCode);

        var skewed = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(-20));
        var expired = await Assert.ThrowsAsync<AwsServiceException>(() => new GuardDutyClient(With(LocalAws.TestCredentials, skewed))
            .ListCoverageAsync(LocalAws.DetectorId, new ListCoverageRequest(), default));
        Assert.Equal("InvalidSignatureException", expired.ErrorCode);
        Assert.Contains("Signature expired", expired.Message);

        // A request signed for EKS but sent to a GuardDuty operation is refused: the scope names the wrong service.
        var wrongScope = await Assert.ThrowsAsync<AwsServiceException>(() => new AwsRestJsonClient(
                http, new AwsServiceEndpoint(AwsService.Eks, LocalAws.Region, aws.Server.Endpoint), AwsCredentialsSource.Static(LocalAws.TestCredentials),
                LocalAws.FastRetry(), TimeProvider.System)
            .SendAsync("ListCoverage", HttpMethod.Post, $"/detector/{LocalAws.DetectorId}/coverage", [], "{}"u8.ToArray(), AwsJsonContext.Default.ListCoverageResponse, default));
        Assert.Contains("scoped to correct service: 'guardduty'", wrongScope.Message);
    }

    [Fact]
    public async Task AddonLookupsAreStatefulAndNotFoundIsAResult()
    {
        await using var aws = await LocalAws.StartAsync();
        var eks = aws.Eks();
        var unknownCluster = await eks.DescribeAddonAsync("nope", "aws-guardduty-agent", default);
        Assert.False(unknownCluster.Found);
        Assert.Contains("No cluster found for name: nope", unknownCluster.NotFoundReason);

        aws.State.AddCluster("prod-1");
        var notInstalled = await eks.DescribeAddonAsync("prod-1", "aws-guardduty-agent", default);
        Assert.False(notInstalled.Found);
        Assert.Contains("No addon: aws-guardduty-agent found in cluster: prod-1", notInstalled.NotFoundReason);

        aws.State.PutAddon(LocalAwsState.GuardDutyAddon("prod-1", status: "DEGRADED", issues: ("InsufficientNumberOfReplicas", "The add-on is unhealthy because it doesn't have the desired number of replicas.")));
        var degraded = await eks.DescribeAddonAsync("prod-1", "aws-guardduty-agent", default);
        Assert.True(degraded.Found);
        Assert.Equal("DEGRADED", degraded.Value!.Status);
        Assert.Equal("InsufficientNumberOfReplicas", Assert.Single(degraded.Value.Health!.Issues!).Code);
        Assert.Equal(new DateTimeOffset(2025, 1, 2, 0, 0, 0, TimeSpan.Zero), degraded.Value.ModifiedAt);
    }

    [Fact]
    public async Task AddonVersionsPageAndFilterByKubernetesVersion()
    {
        await using var aws = await LocalAws.StartAsync();
        aws.State.AddAddonInfo(LocalAwsState.AddonInfo("aws-guardduty-agent", "security",
            ("v1.11.0-eksbuild.4", ["1.31", "1.32"]), ("v1.10.0-eksbuild.2", ["1.30", "1.31"]), ("v1.8.1-eksbuild.2", ["1.29"])));
        for (var i = 0; i < 5; i++)
        {
            aws.State.AddAddonInfo(LocalAwsState.AddonInfo($"other-{i}", "networking", ("v1.0.0-eksbuild.1", ["1.31"])));
        }

        var eks = aws.Eks();
        var all = await eks.DescribeAllAddonVersionsAsync(new DescribeAddonVersionsRequest { MaxResults = 2, KubernetesVersion = "1.31" }, default);
        Assert.Equal(6, all.Count);
        Assert.Equal(3, aws.State.CountRequests("DescribeAddonVersions"));
        var agent = Assert.Single(await eks.DescribeAllAddonVersionsAsync(new DescribeAddonVersionsRequest
        {
            AddonName = DescribeAddonVersionsRequest.GuardDutyAgentAddonName,
            KubernetesVersion = "1.31",
        }, default));
        Assert.Equal(["v1.11.0-eksbuild.4", "v1.10.0-eksbuild.2"], agent.AddonVersions!.Select(v => v.AddonVersion));
        var security = await eks.DescribeAllAddonVersionsAsync(new DescribeAddonVersionsRequest { Types = ["security"] }, default);
        Assert.Equal("aws-guardduty-agent", Assert.Single(security).AddonName);
    }

    [Fact]
    public async Task UpdateAddonChangesTheVersionAndIsIdempotentPerToken()
    {
        await using var aws = await LocalAws.StartAsync();
        aws.State.AddAddonInfo(LocalAwsState.AddonInfo("aws-guardduty-agent", "security", ("v1.11.0-eksbuild.4", ["1.31"]), ("v1.12.0-eksbuild.1", ["1.31"])));
        aws.State.PutAddon(LocalAwsState.GuardDutyAddon("prod-1"));
        var eks = aws.Eks();
        var request = new UpdateAddonRequest { AddonVersion = "v1.12.0-eksbuild.1", ResolveConflicts = ResolveConflictsValues.Overwrite, ClientRequestToken = "token-1" };
        var first = await eks.UpdateAddonAsync("prod-1", "aws-guardduty-agent", request, default);
        var again = await eks.UpdateAddonAsync("prod-1", "aws-guardduty-agent", request, default);
        Assert.Equal("InProgress", first.Status);
        Assert.Equal(first.Id, again.Id);
        Assert.Contains(first.Params!, p => p.Type == "ResolveConflicts" && p.Value == "OVERWRITE");
        Assert.Equal("v1.12.0-eksbuild.1", (await eks.DescribeAddonAsync("prod-1", "aws-guardduty-agent", default)).Value!.AddonVersion);

        var unsupported = await Assert.ThrowsAsync<AwsServiceException>(() =>
            eks.UpdateAddonAsync("prod-1", "aws-guardduty-agent", new UpdateAddonRequest { AddonVersion = "v9.9.9" }, default));
        Assert.Equal("InvalidParameterException", unsupported.ErrorCode);

        var invalid = await Assert.ThrowsAsync<AwsConfigurationException>(() =>
            eks.UpdateAddonAsync("prod-1", "aws-guardduty-agent", new UpdateAddonRequest { ResolveConflicts = "FORCE" }, default));
        Assert.Contains("OVERWRITE, NONE, PRESERVE", invalid.Message);
        Assert.Equal(3, aws.State.CountRequests("UpdateAddon"));
    }

    [Fact]
    public async Task DetectorsAreListedInPagesAndDescribedFromTheState()
    {
        await using var aws = await LocalAws.StartAsync();
        aws.State.PutDetector("22bcd45e678f9ab012cd3e45f67890a1", LocalAwsState.Detector(runtimeMonitoring: "DISABLED"));
        aws.State.PutDetector("33cde56f789a0bc123de4f56a78901b2", LocalAwsState.Detector(status: "DISABLED", runtimeMonitoring: null));
        var client = aws.GuardDuty();

        var firstPage = await client.ListDetectorsAsync(2, null, default);
        Assert.Equal([LocalAws.DetectorId, "22bcd45e678f9ab012cd3e45f67890a1"], firstPage.DetectorIds);
        Assert.NotNull(firstPage.NextToken);
        var secondPage = await client.ListDetectorsAsync(2, firstPage.NextToken, default);
        Assert.Equal(["33cde56f789a0bc123de4f56a78901b2"], secondPage.DetectorIds);
        Assert.Null(secondPage.NextToken);
        var tokenFromOtherQuery = await Assert.ThrowsAsync<AwsServiceException>(() => client.ListDetectorsAsync(1, firstPage.NextToken, default));
        Assert.Equal("BadRequestException", tokenFromOtherQuery.ErrorCode);
        Assert.Equal(3, (await client.ListAllDetectorsAsync(default)).Count);

        var detector = await client.GetDetectorAsync(LocalAws.DetectorId, default);
        Assert.Equal("ENABLED", detector.Status);
        var runtime = Assert.Single(detector.Features!, f => f.Name == "RUNTIME_MONITORING");
        Assert.Equal("ENABLED", runtime.Status);
        Assert.Equal("ENABLED", Assert.Single(runtime.AdditionalConfiguration!, c => c.Name == "EKS_ADDON_MANAGEMENT").Status);
        Assert.DoesNotContain((await client.GetDetectorAsync("33cde56f789a0bc123de4f56a78901b2", default)).Features!, f => f.Name == "RUNTIME_MONITORING");

        var unknown = await Assert.ThrowsAsync<AwsServiceException>(() => client.GetDetectorAsync("44def67a890b1cd234ef5a67b89012c3", default));
        Assert.Equal("BadRequestException", unknown.ErrorCode);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("not owned by the current account", unknown.Message);

        // GuardDuty in a region where it is off: ListDetectors answers an empty list and discovery says so.
        Assert.True(aws.State.RemoveDetector(LocalAws.DetectorId) && aws.State.RemoveDetector("22bcd45e678f9ab012cd3e45f67890a1") && aws.State.RemoveDetector("33cde56f789a0bc123de4f56a78901b2"));
        await Assert.ThrowsAsync<GuardDutyNotEnabledException>(() => DetectorDiscovery.ResolveAsync(client, null, LocalAws.Region, default));
    }

    [Fact]
    public async Task ClustersAreDescribedAndAnUnknownClusterIsNotFound()
    {
        await using var aws = await LocalAws.StartAsync();
        var eks = aws.Eks();
        var missing = await eks.DescribeClusterAsync("prod-eks-1", default);
        Assert.False(missing.Found);
        Assert.Equal("No cluster found for name: prod-eks-1.", missing.NotFoundReason);

        aws.State.PutCluster(LocalAwsState.Cluster("prod-eks-1", version: "1.30", status: "UPDATING", vpcId: "vpc-0123456789abcdef0"));
        var cluster = (await eks.DescribeClusterAsync("prod-eks-1", default)).Value!;
        Assert.Equal(("prod-eks-1", "1.30", "UPDATING"), (cluster.Name, cluster.Version, cluster.Status));
        Assert.Equal("vpc-0123456789abcdef0", cluster.ResourcesVpcConfig!.VpcId);
        Assert.Equal("arn:aws:eks:us-east-1:111122223333:cluster/prod-eks-1", cluster.Arn);
        Assert.Equal(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), cluster.CreatedAt);

        // Installing an add-on makes its cluster known, as an ACTIVE cluster.
        aws.State.PutAddon(LocalAwsState.GuardDutyAddon("stage-1"));
        Assert.Equal("ACTIVE", (await eks.DescribeClusterAsync("stage-1", default)).Value!.Status);
        Assert.Equal(3, aws.State.CountRequests("DescribeCluster"));
    }

    [Fact]
    public async Task ResponsesConformToTheOutputShapes()
    {
        await using var aws = await LocalAws.StartAsync();
        SeedFleet(aws.State);
        aws.State.PutAddon(LocalAwsState.GuardDutyAddon("prod-1", issues: ("AccessDenied", "denied")));
        aws.State.AddAddonInfo(LocalAwsState.AddonInfo("aws-guardduty-agent", "security", ("v1.11.0-eksbuild.4", ["1.31"])));
        using var http = new HttpClient();
        var guardDuty = aws.Transport(AwsService.GuardDuty);
        var eks = aws.Transport(AwsService.Eks);
        var list = await guardDuty.SendAsync("ListCoverage", HttpMethod.Post, $"/detector/{LocalAws.DetectorId}/coverage", [], "{}"u8.ToArray(), JsonNodeInfo(), default);
        var stats = await guardDuty.SendAsync("GetCoverageStatistics", HttpMethod.Post, $"/detector/{LocalAws.DetectorId}/coverage/statistics", [],
            """{"statisticsType":["COUNT_BY_RESOURCE_TYPE","COUNT_BY_COVERAGE_STATUS"]}"""u8.ToArray(), JsonNodeInfo(), default);
        var addon = await eks.SendAsync("DescribeAddon", HttpMethod.Get, "/clusters/prod-1/addons/aws-guardduty-agent", [], null, JsonNodeInfo(), default);
        var versions = await eks.SendAsync("DescribeAddonVersions", HttpMethod.Get, "/addons/supported-versions", [], null, JsonNodeInfo(), default);
        var detectors = await guardDuty.SendAsync("ListDetectors", HttpMethod.Get, "/detector", [], null, JsonNodeInfo(), default);
        var detector = await guardDuty.SendAsync("GetDetector", HttpMethod.Get, $"/detector/{LocalAws.DetectorId}", [], null, JsonNodeInfo(), default);
        var cluster = await eks.SendAsync("DescribeCluster", HttpMethod.Get, "/clusters/prod-1", [], null, JsonNodeInfo(), default);
        Assert.Empty(aws.Server.GuardDutyModel.ValidateValue("ListCoverageResponse", list));
        Assert.Empty(aws.Server.GuardDutyModel.ValidateValue("GetCoverageStatisticsResponse", stats));
        Assert.Empty(aws.Server.EksModel.ValidateValue("DescribeAddonResponse", addon));
        Assert.Empty(aws.Server.EksModel.ValidateValue("DescribeAddonVersionsResponse", versions));
        Assert.Empty(aws.Server.GuardDutyModel.ValidateValue("ListDetectorsResponse", detectors));
        Assert.Empty(aws.Server.GuardDutyModel.ValidateValue("GetDetectorResponse", detector));
        Assert.Empty(aws.Server.EksModel.ValidateValue("DescribeClusterResponse", cluster));
        Assert.Equal(5, list!["resources"]!.AsArray().Count);

        // The validator does catch a response that breaks the shape.
        Assert.NotEmpty(aws.Server.GuardDutyModel.ValidateValue("ListCoverageResponse", JsonNode.Parse("""{"resources":[{"coverageStatus":"GREEN"}]}""")));
    }

    private static System.Text.Json.Serialization.Metadata.JsonTypeInfo<JsonNode> JsonNodeInfo() =>
        (System.Text.Json.Serialization.Metadata.JsonTypeInfo<JsonNode>)System.Text.Json.JsonSerializerOptions.Default.GetTypeInfo(typeof(JsonNode));

    [AwsCliFact]
    public async Task TheRealAwsCliParsesTheAnswers()
    {
        await using var aws = await LocalAws.StartAsync();
        SeedFleet(aws.State);
        aws.State.PutAddon(LocalAwsState.GuardDutyAddon("prod-1", status: "DEGRADED", issues: ("InsufficientNumberOfReplicas", "not enough replicas")));
        aws.State.AddAddonInfo(LocalAwsState.AddonInfo("aws-guardduty-agent", "security", ("v1.11.0-eksbuild.4", ["1.31"]), ("v1.10.0-eksbuild.2", ["1.30"])));
        var environment = new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = LocalAws.TestCredentials.AccessKeyId,
            ["AWS_SECRET_ACCESS_KEY"] = LocalAws.TestCredentials.SecretAccessKey,
            ["AWS_CONFIG_FILE"] = "/dev/null",
            ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null",
            ["AWS_EC2_METADATA_DISABLED"] = "true",
            ["AWS_PAGER"] = "",
        };

        async Task<JsonNode> Aws(params string[] args)
        {
            var (exit, stdout, stderr) = await PythonTools.RunProcessAsync(
                "python3", ["-m", "awscli", .. args, "--endpoint-url", aws.Server.Endpoint.ToString(), "--region", LocalAws.Region, "--output", "json"], null, environment);
            Assert.True(exit == 0, $"aws {string.Join(' ', args)} exited {exit}: {stderr}");
            return JsonNode.Parse(stdout)!;
        }

        var listed = await Aws("guardduty", "list-coverage", "--detector-id", LocalAws.DetectorId, "--page-size", "2",
            "--filter-criteria", """{"FilterCriterion":[{"CriterionKey":"RESOURCE_TYPE","FilterCondition":{"Equals":["EKS"]}}]}""",
            "--sort-criteria", """{"AttributeName":"EKS_CLUSTER_NAME","OrderBy":"ASC"}""");
        Assert.Equal(["dev-1", "prod-1", "prod-2", "stage-1"], listed["Resources"]!.AsArray().Select(r => (string)r!["ResourceDetails"]!["EksClusterDetails"]!["ClusterName"]!));
        Assert.Equal(1, (long)listed["Resources"]![2]!["ResourceDetails"]!["EksClusterDetails"]!["CoveredNodes"]!);
        // AWS CLI v1 prints timestamps as the service sent them (epoch seconds); v2 as ISO 8601.
        var updatedAt = listed["Resources"]![2]!["UpdatedAt"]!;
        Assert.Equal(
            new DateTimeOffset(2025, 6, 1, 0, 1, 0, TimeSpan.Zero),
            updatedAt.GetValueKind() == System.Text.Json.JsonValueKind.Number
                ? DateTimeOffset.FromUnixTimeMilliseconds((long)((double)updatedAt * 1000))
                : DateTimeOffset.Parse((string)updatedAt!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(2, aws.State.CountRequests("ListCoverage"));

        var stats = await Aws("guardduty", "get-coverage-statistics", "--detector-id", LocalAws.DetectorId, "--statistics-type", "COUNT_BY_COVERAGE_STATUS");
        Assert.Equal(3, (long)stats["CoverageStatistics"]!["CountByCoverageStatus"]!["HEALTHY"]!);
        Assert.Equal(2, (long)stats["CoverageStatistics"]!["CountByCoverageStatus"]!["UNHEALTHY"]!);

        var addon = await Aws("eks", "describe-addon", "--cluster-name", "prod-1", "--addon-name", "aws-guardduty-agent");
        Assert.Equal("DEGRADED", (string)addon["addon"]!["status"]!);
        Assert.Equal("InsufficientNumberOfReplicas", (string)addon["addon"]!["health"]!["issues"]![0]!["code"]!);

        var versions = await Aws("eks", "describe-addon-versions", "--addon-name", "aws-guardduty-agent", "--kubernetes-version", "1.31");
        Assert.Equal("v1.11.0-eksbuild.4", (string)Assert.Single(versions["addons"]![0]!["addonVersions"]!.AsArray())!["addonVersion"]!);

        var detectorIds = await Aws("guardduty", "list-detectors");
        Assert.Equal(LocalAws.DetectorId, (string)Assert.Single(detectorIds["DetectorIds"]!.AsArray())!);
        var detector = await Aws("guardduty", "get-detector", "--detector-id", LocalAws.DetectorId);
        Assert.Equal("ENABLED", (string)detector["Status"]!);
        var runtime = detector["Features"]!.AsArray().Single(f => (string)f!["Name"]! == "RUNTIME_MONITORING")!;
        Assert.Equal("ENABLED", (string)runtime["AdditionalConfiguration"]!.AsArray().Single(c => (string)c!["Name"]! == "EKS_ADDON_MANAGEMENT")!["Status"]!);
        var cluster = await Aws("eks", "describe-cluster", "--name", "prod-1");
        Assert.Equal(("prod-1", "1.31", "ACTIVE"), ((string)cluster["cluster"]!["name"]!, (string)cluster["cluster"]!["version"]!, (string)cluster["cluster"]!["status"]!));

        var (exit, _, stderr) = await PythonTools.RunProcessAsync(
            "python3", ["-m", "awscli", "eks", "describe-addon", "--cluster-name", "prod-1", "--addon-name", "nope", "--endpoint-url", aws.Server.Endpoint.ToString(), "--region", LocalAws.Region],
            null, environment);
        Assert.NotEqual(0, exit);
        Assert.Contains("ResourceNotFoundException", stderr);
        Assert.All(aws.State.Requests.Where(r => r.Operation != "DescribeAddon" || !r.RawTarget.Contains("nope")), r => Assert.Equal(200, r.Status));
    }
}
