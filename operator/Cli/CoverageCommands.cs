using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Aws.Model;

namespace GuardDutyCoverage.Cli;

/// <summary>What the coverage commands need from the outside world; tests pass fakes or local endpoints.</summary>
/// <param name="Open">Opens the clients and the region resolver for one invocation, with what to dispose afterwards.</param>
public sealed record CoverageCliServices(Func<CoverageCliSession> Open)
{
    /// <summary>The real thing: the default credential chain, standard or overridden endpoints, the process environment.</summary>
    public static CoverageCliServices Default() => new(() =>
    {
        var http = new HttpClient();
        var credentials = AwsCredentialsSource.DefaultChain();
        var factory = new AwsClientFactory(http, credentials, new AwsClientOptions());
        return new CoverageCliSession(factory, AwsRegionResolver.FromProcess(http), new Disposables(factory, credentials, http));
    });

    private sealed class Disposables(params IDisposable[] items) : IDisposable
    {
        public void Dispose()
        {
            foreach (var item in items)
            {
                item.Dispose();
            }
        }
    }
}

/// <summary>One invocation's clients and region resolver.</summary>
public sealed record CoverageCliSession(IAwsClientFactory Clients, AwsRegionResolver Regions, IDisposable? Owner) : IDisposable
{
    public void Dispose() => Owner?.Dispose();
}

/// <summary>
/// <c>guardduty-coverage coverage list|stats</c>: GuardDuty ListCoverage and GetCoverageStatistics with every filter
/// key, sort key and paging option the API has. Bad arguments are refused before any request, listing what is valid.
/// </summary>
public static class CoverageCommands
{
    public const int Ok = 0;
    public const int Error = 2;

    public static Command Create(CoverageCliServices? services = null)
    {
        var command = new Command("coverage", "GuardDuty Runtime Monitoring coverage as GuardDuty reports it (ListCoverage, GetCoverageStatistics).");
        command.Subcommands.Add(ListCommand(services));
        command.Subcommands.Add(StatsCommand(services));
        return command;
    }

    private sealed class CommonOptions
    {
        public Option<string?> DetectorId { get; } = new("--detector-id") { Description = "GuardDuty detector ID. Default: the region's detector (ListDetectors)." };

        public Option<string[]> Filters { get; } = new("--filter")
        {
            Description = "KEY=V1,V2 (equals any) or KEY!=V1,V2 (equals none); repeatable, all must hold. Keys: "
                + string.Join(", ", ModelEnums.CoverageFilterCriterionKey) + ". Default: RESOURCE_TYPE=EKS.",
            Arity = ArgumentArity.ZeroOrMore,
        };

        public Option<string?> Region { get; } = new("--region") { Description = "AWS Region. Default: AWS_REGION, AWS_DEFAULT_REGION, instance metadata." };

        public Option<string?> EndpointUrl { get; } = new("--endpoint-url") { Description = "Use this URL instead of the standard GuardDuty (and STS) endpoint." };

        public Option<string> Output { get; } = new("--output", "-o") { Description = "table or json.", DefaultValueFactory = _ => "table" };

        public void AddTo(Command command)
        {
            command.Options.Add(DetectorId);
            command.Options.Add(Filters);
            command.Options.Add(Region);
            command.Options.Add(EndpointUrl);
            command.Options.Add(Output);
        }
    }

    private static Command ListCommand(CoverageCliServices? services)
    {
        var common = new CommonOptions();
        var sort = new Option<string?>("--sort") { Description = "KEY[:ASC|DESC]. Keys: " + string.Join(", ", ModelEnums.CoverageSortKey) + "." };
        var maxResults = new Option<int?>("--max-results") { Description = "Page size, 1 to 50; every page is followed." };
        var maxItems = new Option<int?>("--max-items") { Description = "Stop after this many resources." };
        var command = new Command("list", "List coverage: cluster, account, status, management type, add-on version, covered/compatible nodes, updated, issue.");
        common.AddTo(command);
        command.Options.Add(sort);
        command.Options.Add(maxResults);
        command.Options.Add(maxItems);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            try
            {
                var format = ParseOutput(parse.GetValue(common.Output));
                var filters = ParseFilters(parse.GetValue(common.Filters) ?? []);
                var request = new ListCoverageRequest
                {
                    MaxResults = parse.GetValue(maxResults) is { } size ? (size is >= 1 and <= 50 ? size : throw Usage($"--max-results must be 1 to 50, not {size}")) : null,
                    FilterCriteria = filters,
                    SortCriteria = ParseSort(parse.GetValue(sort)),
                };
                var limit = parse.GetValue(maxItems) is { } items ? (items >= 1 ? items : throw Usage($"--max-items must be at least 1, not {items}")) : (int?)null;
                var endpoints = ParseEndpoint(parse.GetValue(common.EndpointUrl));
                using (var session = (services ?? CoverageCliServices.Default()).Open())
                {
                    var region = await session.Regions.ResolveAsync(parse.GetValue(common.Region), cancellationToken).ConfigureAwait(false);
                    var guardDuty = session.Clients.For(region, endpoints).GuardDuty;
                    var detectorId = await DetectorDiscovery.ResolveAsync(guardDuty, parse.GetValue(common.DetectorId), region, cancellationToken).ConfigureAwait(false);
                    var resources = await guardDuty.ListAllCoverageAsync(detectorId, request, limit, cancellationToken).ConfigureAwait(false);
                    await output.WriteAsync(format == "json"
                        ? JsonSerializer.Serialize(new ListCoverageResponse { Resources = resources }, CoverageCliJsonContext.Default.ListCoverageResponse) + "\n"
                        : CoverageTable(resources)).ConfigureAwait(false);
                }

                return Ok;
            }
            catch (Exception e) when (e is AwsException or UsageException)
            {
                await error.WriteLineAsync("error: " + e.Message).ConfigureAwait(false);
                return Error;
            }
        });
        return command;
    }

    private static Command StatsCommand(CoverageCliServices? services)
    {
        var common = new CommonOptions();
        var type = new Option<string>("--type")
        {
            Description = "COUNT_BY_COVERAGE_STATUS or COUNT_BY_RESOURCE_TYPE.",
            DefaultValueFactory = _ => CoverageStatisticsTypeValues.CountByCoverageStatus,
        };
        var command = new Command("stats", "Coverage statistics and the coverage percentage (healthy ÷ all × 100).");
        common.AddTo(command);
        command.Options.Add(type);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            try
            {
                var format = ParseOutput(parse.GetValue(common.Output));
                var statisticsType = parse.GetValue(type);
                if (!ModelEnums.Contains(ModelEnums.CoverageStatisticsType, statisticsType))
                {
                    throw Usage($"--type \"{statisticsType}\" is not valid; valid types: {string.Join(", ", ModelEnums.CoverageStatisticsType)}");
                }

                var filters = ParseFilters(parse.GetValue(common.Filters) ?? []);
                var endpoints = ParseEndpoint(parse.GetValue(common.EndpointUrl));
                using (var session = (services ?? CoverageCliServices.Default()).Open())
                {
                    var region = await session.Regions.ResolveAsync(parse.GetValue(common.Region), cancellationToken).ConfigureAwait(false);
                    var guardDuty = session.Clients.For(region, endpoints).GuardDuty;
                    var detectorId = await DetectorDiscovery.ResolveAsync(guardDuty, parse.GetValue(common.DetectorId), region, cancellationToken).ConfigureAwait(false);

                    // The percentage needs the status counts, so they are always asked for.
                    var types = new List<string> { statisticsType! };
                    if (statisticsType != CoverageStatisticsTypeValues.CountByCoverageStatus)
                    {
                        types.Add(CoverageStatisticsTypeValues.CountByCoverageStatus);
                    }

                    var response = await guardDuty.GetCoverageStatisticsAsync(
                        detectorId, new GetCoverageStatisticsRequest { FilterCriteria = filters, StatisticsType = types }, cancellationToken).ConfigureAwait(false);
                    var statistics = response.CoverageStatistics ?? new CoverageStatistics();
                    var report = CoverageReport.From(statisticsType!, statistics);
                    await output.WriteAsync(format == "json"
                        ? JsonSerializer.Serialize(report, CoverageCliJsonContext.Default.CoverageReport) + "\n"
                        : StatsTable(report)).ConfigureAwait(false);
                }

                return Ok;
            }
            catch (Exception e) when (e is AwsException or UsageException)
            {
                await error.WriteLineAsync("error: " + e.Message).ConfigureAwait(false);
                return Error;
            }
        });
        return command;
    }

    /// <summary>Parses repeatable <c>KEY=V1,V2</c> / <c>KEY!=V</c> filters. No RESOURCE_TYPE filter given: RESOURCE_TYPE=EKS is added.</summary>
    public static CoverageFilterCriteria ParseFilters(IReadOnlyList<string> filters)
    {
        var criteria = new List<CoverageFilterCriterion>();
        foreach (var filter in filters)
        {
            var notEquals = filter.IndexOf("!=", StringComparison.Ordinal);
            var equals = filter.IndexOf('=', StringComparison.Ordinal);
            var split = notEquals >= 0 && notEquals < equals ? notEquals : equals;
            if (split <= 0)
            {
                throw Usage($"--filter \"{filter}\" is not KEY=V1,V2 or KEY!=V1,V2");
            }

            var key = filter[..split].Trim();
            var values = filter[(split + (split == notEquals ? 2 : 1))..].Split(',', StringSplitOptions.TrimEntries);
            if (!ModelEnums.Contains(ModelEnums.CoverageFilterCriterionKey, key))
            {
                throw Usage($"--filter \"{filter}\": unknown key \"{key}\"; valid keys: {string.Join(", ", ModelEnums.CoverageFilterCriterionKey)}");
            }

            if (values.Any(v => v.Length == 0))
            {
                throw Usage($"--filter \"{filter}\": empty value");
            }

            criteria.Add(new CoverageFilterCriterion
            {
                CriterionKey = key,
                FilterCondition = split == notEquals ? new CoverageFilterCondition { NotEquals = values } : new CoverageFilterCondition { EqualsValues = values },
            });
        }

        if (!criteria.Any(c => c.CriterionKey == "RESOURCE_TYPE"))
        {
            criteria.Insert(0, new CoverageFilterCriterion
            {
                CriterionKey = "RESOURCE_TYPE",
                FilterCondition = new CoverageFilterCondition { EqualsValues = [ResourceTypeValues.Eks] },
            });
        }

        if (criteria.Count > 50)
        {
            throw Usage($"{criteria.Count} filters given; GuardDuty takes at most 50");
        }

        return new CoverageFilterCriteria { FilterCriterion = criteria };
    }

    /// <summary>Parses <c>KEY[:ASC|DESC]</c>.</summary>
    public static CoverageSortCriteria? ParseSort(string? sort)
    {
        if (string.IsNullOrWhiteSpace(sort))
        {
            return null;
        }

        var parts = sort.Split(':', StringSplitOptions.TrimEntries);
        if (parts.Length > 2 || !ModelEnums.Contains(ModelEnums.CoverageSortKey, parts[0]))
        {
            throw Usage($"--sort \"{sort}\": unknown key \"{parts[0]}\"; valid keys: {string.Join(", ", ModelEnums.CoverageSortKey)} (optionally :ASC or :DESC)");
        }

        var order = parts.Length == 2 ? parts[1].ToUpperInvariant() : "ASC";
        if (!ModelEnums.Contains(ModelEnums.OrderBy, order))
        {
            throw Usage($"--sort \"{sort}\": order must be ASC or DESC");
        }

        return new CoverageSortCriteria { AttributeName = parts[0], OrderBy = order };
    }

    /// <summary>The table of <c>coverage list</c>.</summary>
    public static string CoverageTable(IReadOnlyList<CoverageResource> resources)
    {
        var rows = new List<string[]> { new[] { "CLUSTER", "ACCOUNT", "STATUS", "MANAGEMENT", "ADDON VERSION", "NODES", "UPDATED", "ISSUE" } };
        foreach (var r in resources)
        {
            var details = r.ResourceDetails;
            var eks = details?.EksClusterDetails;
            var name = eks?.ClusterName ?? details?.EcsClusterDetails?.ClusterName ?? details?.Ec2InstanceDetails?.InstanceId ?? r.ResourceId ?? "";
            var management = eks?.ManagementType ?? details?.EcsClusterDetails?.FargateDetails?.ManagementType ?? details?.Ec2InstanceDetails?.ManagementType;
            rows.Add(
            [
                name,
                r.AccountId ?? "",
                r.CoverageStatus ?? "",
                management ?? "",
                eks?.AddonDetails?.AddonVersion ?? details?.Ec2InstanceDetails?.AgentDetails?.Version ?? "",
                eks is null ? "" : $"{Count(eks.CoveredNodes)}/{Count(eks.CompatibleNodes)}",
                r.UpdatedAt?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "",
                (r.Issue ?? "").ReplaceLineEndings(" "),
            ]);
        }

        return Render(rows) + (resources.Count == 0 ? "No resources found.\n" : "");
    }

    private static string StatsTable(CoverageReport report)
    {
        var rows = new List<string[]> { new[] { report.StatisticsType == CoverageStatisticsTypeValues.CountByResourceType ? "RESOURCE TYPE" : "COVERAGE STATUS", "COUNT" } };
        foreach (var (key, count) in report.Counts.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            rows.Add([key, count.ToString(CultureInfo.InvariantCulture)]);
        }

        var percentage = report.CoveragePercent is { } p
            ? $"Coverage: {p.ToString("0.0", CultureInfo.InvariantCulture)}% ({report.Healthy} healthy of {report.Total})\n"
            : "Coverage: n/a (no resources)\n";
        return Render(rows) + percentage;
    }

    private static string Render(List<string[]> rows)
    {
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var builder = new StringBuilder();
        foreach (var row in rows)
        {
            for (var c = 0; c < row.Length; c++)
            {
                builder.Append(c == row.Length - 1 ? row[c] : row[c].PadRight(widths[c] + 3));
            }

            builder.Append('\n');
        }

        return builder.ToString();
    }

    private static string Count(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string ParseOutput(string? output) => output is "table" or "json"
        ? output
        : throw Usage($"--output \"{output}\" is not valid; use table or json");

    private static AwsEndpointOverrides ParseEndpoint(string? endpoint)
    {
        try
        {
            // Like the AWS CLI: --endpoint-url wins, else AWS_ENDPOINT_URL_GUARDDUTY / AWS_ENDPOINT_URL.
            return string.IsNullOrWhiteSpace(endpoint)
                ? AwsEndpointOverrides.FromEnvironment()
                : AwsEndpointOverrides.All(AwsEndpointOverrides.ParseEndpoint(endpoint, "--endpoint-url"));
        }
        catch (AwsConfigurationException e)
        {
            throw Usage(e.Message);
        }
    }

    private static UsageException Usage(string message) => new(message);

    private sealed class UsageException(string message) : Exception(message);
}

/// <summary>What <c>coverage stats</c> prints: the requested counts and the coverage percentage.</summary>
public sealed record CoverageReport
{
    public required string StatisticsType { get; init; }

    public required IReadOnlyDictionary<string, long> Counts { get; init; }

    public long Healthy { get; init; }

    public long Total { get; init; }

    /// <summary>Healthy ÷ all × 100; null when there is nothing.</summary>
    public double? CoveragePercent { get; init; }

    public static CoverageReport From(string statisticsType, CoverageStatistics statistics)
    {
        var byStatus = statistics.CountByCoverageStatus ?? new Dictionary<string, long>();
        var healthy = byStatus.GetValueOrDefault(CoverageStatusValues.Healthy);
        var total = byStatus.Values.Sum();
        return new CoverageReport
        {
            StatisticsType = statisticsType,
            Counts = (statisticsType == CoverageStatisticsTypeValues.CountByResourceType ? statistics.CountByResourceType : byStatus) ?? new Dictionary<string, long>(),
            Healthy = healthy,
            Total = total,
            CoveragePercent = Api.CoveragePercent.Of(healthy, total),
        };
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    Converters = [typeof(AwsTimestampConverter)])]
[JsonSerializable(typeof(ListCoverageResponse))]
[JsonSerializable(typeof(CoverageReport))]
internal sealed partial class CoverageCliJsonContext : JsonSerializerContext;
