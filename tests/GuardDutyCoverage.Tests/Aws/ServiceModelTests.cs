using System.Text.Json.Nodes;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Aws.Model;
using GuardDutyCoverage.Sandbox.Aws;
using Xunit.Abstractions;

namespace GuardDutyCoverage.Tests.Aws;

/// <summary>The request validator of the local endpoints, exercised over every operation of both official models.</summary>
public sealed class ServiceModelTests(ITestOutputHelper output)
{
    private static readonly ServiceModel GuardDuty = ServiceModel.Load(RepoPaths.TestData("aws-models", "guardduty-2017-11-28.service-2.json"));
    private static readonly ServiceModel Eks = ServiceModel.Load(RepoPaths.TestData("aws-models", "eks-2017-11-01.service-2.json"));

    [Fact]
    public void EveryOperationRoutesByItsOwnTemplateAndEveryRequiredMemberIsEnforced()
    {
        var operations = 0;
        var requiredChecked = 0;
        var unknownChecked = 0;
        var members = 0;
        var shapes = 0;
        foreach (var model in new[] { GuardDuty, Eks })
        {
            foreach (var operation in model.Operations.Values)
            {
                operations++;
                var (shapeCount, memberCount) = model.CountInputMembers(operation);
                shapes += shapeCount;
                members += memberCount;

                // Route: fill each {placeholder} with a plain value; the template must come back to this operation.
                var path = System.Text.RegularExpressions.Regex.Replace(operation.RequestUri.Split('?')[0], @"\{[^}]+\}", "x1");
                Assert.True(model.TryMatch(operation.Method, path, out var routed, out _), $"{model.ServiceId} {operation.Name}: {operation.Method} {path} does not route");
                Assert.Equal(operation.RequestUri.Split('?')[0], routed.RequestUri.Split('?')[0]);

                if (operation.InputShape is null)
                {
                    continue;
                }

                var input = model.Shape(operation.InputShape);
                var required = (input["required"]?.AsArray() ?? []).Select(r => (string)r!).ToList();
                var hasBody = input["members"]!.AsObject().Any(m => m.Value!["location"] is null);
                var violations = model.ValidateRequest(operation, new Dictionary<string, string>(), [], hasBody ? new JsonObject() : null);
                foreach (var name in required)
                {
                    var member = input["members"]![name]!;
                    if ((string?)member["location"] is "header" or "headers")
                    {
                        continue;
                    }

                    var wire = (string?)member["locationName"] ?? name;
                    Assert.True(violations.Any(v => v.Member == wire && v.Message.Contains("must not be null")),
                        $"{model.ServiceId} {operation.Name}: missing required '{wire}' is not reported");
                    requiredChecked++;
                }

                if (hasBody)
                {
                    var unknown = model.ValidateRequest(operation, new Dictionary<string, string>(), [], new JsonObject { ["noSuchMember"] = 1 });
                    Assert.Contains(unknown, v => v.Member == "noSuchMember");
                    unknownChecked++;
                }
            }
        }

        output.WriteLine($"operations routed: {operations}; input shapes walked: {shapes}; input members: {members}; required members checked: {requiredChecked}; body shapes checked for unknown members: {unknownChecked}");
        Assert.Equal(90 + 65, operations);
        Assert.True(requiredChecked > 100, $"only {requiredChecked} required members");
    }

    [Fact]
    public void ConstraintsAreEnforcedWithAwsMessages()
    {
        var listCoverage = GuardDuty.Operations["ListCoverage"];
        var uri = new Dictionary<string, string> { ["DetectorId"] = "d" };
        Assert.Empty(GuardDuty.ValidateRequest(listCoverage, uri, [], JsonNode.Parse("""
            {"maxResults":50,"nextToken":"t","filterCriteria":{"filterCriterion":[{"criterionKey":"ACCOUNT_ID","filterCondition":{"equals":["1"],"notEquals":[]}}]},
             "sortCriteria":{"attributeName":"ISSUE","orderBy":"DESC"}}
            """)));
        var violations = GuardDuty.ValidateRequest(listCoverage, new Dictionary<string, string> { ["DetectorId"] = new string('d', 301) }, [], JsonNode.Parse("""
            {"maxResults":0,"sortCriteria":{"attributeName":"NAME","orderBy":"UP"},"filterCriteria":{"filterCriterion":"x"}}
            """));
        Assert.Equal(
            new[]
            {
                "Value at 'DetectorId' failed to satisfy constraint: Member must have length less than or equal to 300",
                "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
                "Value '\"x\"' at 'filterCriteria.filterCriterion' failed to satisfy constraint: Member must be a list",
                "Value 'NAME' at 'sortCriteria.attributeName' failed to satisfy constraint: Member must satisfy enum value set: [ACCOUNT_ID, COVERAGE_STATUS, ISSUE, ADDON_VERSION, UPDATED_AT, CLUSTER_NAME, EKS_CLUSTER_NAME, ECS_CLUSTER_NAME, INSTANCE_ID]",
                "Value 'UP' at 'sortCriteria.orderBy' failed to satisfy constraint: Member must satisfy enum value set: [ASC, DESC]",
            }.Order(StringComparer.Ordinal),
            violations.Select(v => v.Message.Replace($"'{new string('d', 301)}' ", "")).Order(StringComparer.Ordinal));

        var versions = Eks.Operations["DescribeAddonVersions"];
        Assert.Empty(Eks.ValidateRequest(versions, new Dictionary<string, string>(), [new("types", "a"), new("types", "b"), new("maxResults", "100")], null));
        var bad = Eks.ValidateRequest(versions, new Dictionary<string, string>(), [new("maxResults", "1"), new("maxResults", "2"), new("kubernetesVersion", "1.31")], JsonNode.Parse("{}"));
        Assert.Contains(bad, v => v.Message.Contains("'maxResults' is given 2 times"));
        Assert.Contains(bad, v => v.Message.Contains("takes no request body"));
    }

    [Fact]
    public void TheClientsEnumListsEqualTheModel()
    {
        IReadOnlyList<string> Enum(ServiceModel model, string shape) => model.Shape(shape)["enum"]!.AsArray().Select(v => (string)v!).ToList();
        Assert.Equal(Enum(GuardDuty, "CoverageFilterCriterionKey"), ModelEnums.CoverageFilterCriterionKey);
        Assert.Equal(Enum(GuardDuty, "CoverageSortKey"), ModelEnums.CoverageSortKey);
        Assert.Equal(Enum(GuardDuty, "OrderBy"), ModelEnums.OrderBy);
        Assert.Equal(Enum(GuardDuty, "CoverageStatisticsType"), ModelEnums.CoverageStatisticsType);
        Assert.Equal(Enum(Eks, "ResolveConflicts"), ModelEnums.ResolveConflicts);
    }

    [Fact]
    public async Task TheFakeAnswersLikeTheLocalEndpoints()
    {
        await using var local = await LocalAws.StartAsync();
        var fake = new FakeAws();
        fake.AddDetector(LocalAws.Region, LocalAws.DetectorId);
        var statuses = new[] { "HEALTHY", "UNHEALTHY" };
        var types = new[] { "AUTO_MANAGED", "MANUAL" };
        for (var i = 0; i < 23; i++)
        {
            var row = fake.EksCoverage(LocalAws.DetectorId, $"cluster-{i:D2}", statuses[i % 2 == 0 || i % 3 == 0 ? 0 : 1], managementType: types[i % 2],
                addonVersion: i % 5 == 0 ? null : $"v1.{i % 4}.0-eksbuild.1", updatedAt: new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(i * 7 % 23),
                accountId: i % 7 == 0 ? "444455556666" : LocalAws.AccountId);
            fake.PutCoverage(LocalAws.Region, row);
            local.State.PutCoverage(System.Text.Json.JsonSerializer.SerializeToNode(row, AwsJsonContext.Default.CoverageResource)!.AsObject());
        }

        var realClient = local.GuardDuty();
        var fakeClient = fake.For(LocalAws.Region, AwsEndpointOverrides.None).GuardDuty;
        var queries = new List<ListCoverageRequest>();
        foreach (var sort in ModelEnums.CoverageSortKey)
        {
            foreach (var order in ModelEnums.OrderBy)
            {
                queries.Add(new ListCoverageRequest { MaxResults = 4, SortCriteria = new CoverageSortCriteria { AttributeName = sort, OrderBy = order } });
            }
        }

        foreach (var key in ModelEnums.CoverageFilterCriterionKey)
        {
            queries.Add(new ListCoverageRequest
            {
                MaxResults = 7,
                FilterCriteria = new CoverageFilterCriteria
                {
                    FilterCriterion =
                    [
                        new CoverageFilterCriterion { CriterionKey = key, FilterCondition = new CoverageFilterCondition { NotEquals = ["v1.1.0-eksbuild.1", "MANUAL", "444455556666", "cluster-03"] } },
                        new CoverageFilterCriterion { CriterionKey = "COVERAGE_STATUS", FilterCondition = new CoverageFilterCondition { EqualsValues = ["HEALTHY"] } },
                    ],
                },
            });
        }

        foreach (var query in queries)
        {
            var expected = await realClient.ListAllCoverageAsync(LocalAws.DetectorId, query, null, default);
            var actual = await fakeClient.ListAllCoverageAsync(LocalAws.DetectorId, query, null, default);
            Assert.Equal(expected.Select(r => r.ResourceId), actual.Select(r => r.ResourceId));
            var statsRequest = new GetCoverageStatisticsRequest { FilterCriteria = query.FilterCriteria, StatisticsType = ModelEnums.CoverageStatisticsType.ToList() };
            var expectedStats = (await realClient.GetCoverageStatisticsAsync(LocalAws.DetectorId, statsRequest, default)).CoverageStatistics!;
            var actualStats = (await fakeClient.GetCoverageStatisticsAsync(LocalAws.DetectorId, statsRequest, default)).CoverageStatistics!;
            Assert.Equal(expectedStats.CountByCoverageStatus, actualStats.CountByCoverageStatus);
            Assert.Equal(expectedStats.CountByResourceType, actualStats.CountByResourceType);
        }

        var realError = await Assert.ThrowsAsync<AwsServiceException>(() => realClient.ListCoverageAsync("nope", new ListCoverageRequest(), default));
        var fakeError = await Assert.ThrowsAsync<AwsServiceException>(() => fakeClient.ListCoverageAsync("nope", new ListCoverageRequest(), default));
        Assert.Equal(realError.ErrorCode, fakeError.ErrorCode);
        Assert.Equal(realError.ErrorMessage, fakeError.ErrorMessage);
    }
}
