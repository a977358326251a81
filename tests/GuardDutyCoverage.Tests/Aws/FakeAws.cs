using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Aws.Model;
using GuardDutyCoverage.Sandbox.Aws;

namespace GuardDutyCoverage.Tests.Aws;

/// <summary>
/// A stateful in-memory AWS for unit tests of the poller, the controller and the CLI: the same interfaces as the real
/// clients, the same request validation, and the coverage filtering/sorting/statistics of the local endpoints
/// (<see cref="CoverageQuery"/>), with opaque paging tokens and not-found results. A test checks it answers like the
/// local endpoints. One instance is one account; regions are separate.
/// </summary>
public sealed class FakeAws : IAwsClientFactory
{
    private readonly object _lock = new();
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<Exception>> _failures = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Region> _regions = new(StringComparer.Ordinal);

    public FakeAws(string accountId = LocalAws.AccountId) => AccountId = accountId;

    public string AccountId { get; }

    /// <summary>Every region and endpoint combination the code under test asked clients for.</summary>
    public ConcurrentBag<(string Region, AwsEndpointOverrides Endpoints)> ClientRequests { get; } = [];

    public IAwsClients For(string region, AwsEndpointOverrides endpoints)
    {
        ClientRequests.Add((region, endpoints));
        return new Clients(this, region);
    }

    public int Calls(string operation) => _calls.GetValueOrDefault(operation);

    /// <summary>The next <paramref name="times"/> calls of <paramref name="operation"/> throw <paramref name="error"/>.</summary>
    public void Fail(string operation, Exception error, int times = 1)
    {
        lock (_lock)
        {
            if (!_failures.TryGetValue(operation, out var queue))
            {
                _failures[operation] = queue = new Queue<Exception>();
            }

            for (var i = 0; i < times; i++)
            {
                queue.Enqueue(error);
            }
        }
    }

    public static AwsServiceException ServiceError(string service, string operation, string code, string message, HttpStatusCode status = HttpStatusCode.BadRequest) =>
        new(service, operation, code, message, status, Guid.NewGuid().ToString());

    public void AddDetector(string region, string detectorId, GetDetectorResponse? detector = null)
    {
        lock (_lock)
        {
            Of(region).Detectors[detectorId] = detector ?? new GetDetectorResponse { Status = "ENABLED" };
        }
    }

    public void PutCoverage(string region, CoverageResource resource)
    {
        lock (_lock)
        {
            var list = Of(region).Coverage;
            var index = list.FindIndex(r => r.ResourceId == resource.ResourceId && r.DetectorId == resource.DetectorId);
            if (index >= 0)
            {
                list[index] = resource;
            }
            else
            {
                list.Add(resource);
            }
        }
    }

    /// <summary>GuardDuty stops listing a resource (an EC2 agent uninstalled, a cluster deleted).</summary>
    public void RemoveCoverage(string region, string detectorId, string resourceId)
    {
        lock (_lock)
        {
            Of(region).Coverage.RemoveAll(r => r.ResourceId == resourceId && r.DetectorId == detectorId);
        }
    }

    public void PutCluster(string region, EksCluster cluster)
    {
        lock (_lock)
        {
            Of(region).Clusters[cluster.Name!] = cluster;
        }
    }

    public void PutAddon(string region, EksAddon addon)
    {
        lock (_lock)
        {
            Of(region).Addons[(addon.ClusterName!, addon.AddonName!)] = addon;
        }
    }

    public void RemoveAddon(string region, string clusterName, string addonName)
    {
        lock (_lock)
        {
            Of(region).Addons.Remove((clusterName, addonName));
        }
    }

    public void PutAddonInfo(string region, AddonInfo info)
    {
        lock (_lock)
        {
            var catalog = Of(region).AddonCatalog;
            catalog.RemoveAll(a => a.AddonName == info.AddonName);
            catalog.Add(info);
        }
    }

    public void PutVpc(string region, VpcDnsAttributes attributes)
    {
        lock (_lock)
        {
            Of(region).Vpcs[attributes.VpcId] = attributes;
        }
    }

    /// <summary>The account that owns a VPC (DescribeVpcs OwnerId); a VPC without one is the caller's own.</summary>
    public void PutVpcOwner(string region, string vpcId, string ownerAccountId)
    {
        lock (_lock)
        {
            Of(region).VpcOwners[vpcId] = ownerAccountId;
        }
    }

    public void PutVpcEndpoint(string region, VpcEndpointInfo endpoint)
    {
        lock (_lock)
        {
            Of(region).VpcEndpoints.RemoveAll(e => e.VpcEndpointId == endpoint.VpcEndpointId);
            Of(region).VpcEndpoints.Add(endpoint);
        }
    }

    /// <summary>A CoverageResource of an EKS cluster, as GuardDuty lists it.</summary>
    public CoverageResource EksCoverage(string detectorId, string clusterName, string status, string? issue = null, string managementType = "AUTO_MANAGED",
        string? addonVersion = "v1.11.0-eksbuild.4", long covered = 3, long compatible = 3, DateTimeOffset? updatedAt = null, string? accountId = null) => new()
    {
        ResourceId = clusterName,
        DetectorId = detectorId,
        AccountId = accountId ?? AccountId,
        CoverageStatus = status,
        Issue = issue,
        UpdatedAt = updatedAt ?? new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero),
        ResourceDetails = new CoverageResourceDetails
        {
            ResourceType = ResourceTypeValues.Eks,
            EksClusterDetails = new CoverageEksClusterDetails
            {
                ClusterName = clusterName,
                CoveredNodes = covered,
                CompatibleNodes = compatible,
                ManagementType = managementType,
                AddonDetails = new AddonDetails { AddonVersion = addonVersion, AddonStatus = "ACTIVE" },
            },
        },
    };

    private Region Of(string region) => _regions.TryGetValue(region, out var r) ? r : _regions[region] = new Region();

    private void Enter(string operation)
    {
        _calls.AddOrUpdate(operation, 1, (_, n) => n + 1);
        lock (_lock)
        {
            if (_failures.TryGetValue(operation, out var queue) && queue.TryDequeue(out var error))
            {
                throw error;
            }
        }
    }

    private static string Token(int offset, string fingerprint) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{offset}:{Hash(fingerprint)}"));

    private static string Hash(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];

    private static int Offset(string service, string operation, string? token, string fingerprint, int total)
    {
        if (token is null)
        {
            return 0;
        }

        var parts = Encoding.UTF8.GetString(Convert.FromBase64String(token)).Split(':');
        return parts.Length == 2 && parts[1] == Hash(fingerprint) && int.TryParse(parts[0], out var offset) && offset <= total
            ? offset
            : throw ServiceError(service, operation, service == "EKS" ? "InvalidParameterException" : "BadRequestException", "The nextToken is invalid.");
    }

    private sealed class Region
    {
        public Dictionary<string, GetDetectorResponse> Detectors { get; } = new(StringComparer.Ordinal);

        public List<CoverageResource> Coverage { get; } = [];

        public Dictionary<string, EksCluster> Clusters { get; } = new(StringComparer.Ordinal);

        public Dictionary<(string Cluster, string Addon), EksAddon> Addons { get; } = [];

        public List<AddonInfo> AddonCatalog { get; } = [];

        public Dictionary<string, VpcDnsAttributes> Vpcs { get; } = new(StringComparer.Ordinal);

        public List<VpcEndpointInfo> VpcEndpoints { get; } = [];

        public Dictionary<string, string> VpcOwners { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, EksUpdate> Updates { get; } = new(StringComparer.Ordinal);
    }

    private sealed class Clients(FakeAws aws, string region) : IAwsClients, IGuardDutyClient, IEksClient, IStsClient, IEc2Client
    {
        public string Region => region;

        public IGuardDutyClient GuardDuty => this;

        public IEksClient Eks => this;

        public IStsClient Sts => this;

        public IEc2Client Ec2 => this;

        private Region State => aws.Of(region);

        public Task<ListDetectorsResponse> ListDetectorsAsync(int? maxResults, string? nextToken, CancellationToken cancellationToken)
        {
            RequestValidation.Range("ListDetectors", "maxResults", maxResults, 1, 50);
            aws.Enter("ListDetectors");
            lock (aws._lock)
            {
                var ids = State.Detectors.Keys.Order(StringComparer.Ordinal).ToList();
                var size = maxResults ?? 50;
                var offset = Offset("GuardDuty", "ListDetectors", nextToken, "detectors", ids.Count);
                return Task.FromResult(new ListDetectorsResponse
                {
                    DetectorIds = ids.Skip(offset).Take(size).ToList(),
                    NextToken = offset + size < ids.Count ? Token(offset + size, "detectors") : null,
                });
            }
        }

        public Task<GetDetectorResponse> GetDetectorAsync(string detectorId, CancellationToken cancellationToken)
        {
            RequestValidation.DetectorId("GetDetector", detectorId);
            aws.Enter("GetDetector");
            lock (aws._lock)
            {
                return State.Detectors.TryGetValue(detectorId, out var detector)
                    ? Task.FromResult(detector)
                    : throw NotOwned("GetDetector");
            }
        }

        public Task<ListCoverageResponse> ListCoverageAsync(string detectorId, ListCoverageRequest request, CancellationToken cancellationToken)
        {
            RequestValidation.DetectorId("ListCoverage", detectorId);
            RequestValidation.Range("ListCoverage", "maxResults", request.MaxResults, 1, 50);
            RequestValidation.FilterCriteria("ListCoverage", request.FilterCriteria);
            aws.Enter("ListCoverage");
            lock (aws._lock)
            {
                if (!State.Detectors.ContainsKey(detectorId))
                {
                    throw NotOwned("ListCoverage");
                }

                var json = JsonSerializer.SerializeToNode(request with { NextToken = null }, AwsJsonContext.Default.ListCoverageRequest)!;
                var matching = CoverageQuery.Sort(CoverageQuery.Filter(Rows(detectorId), json["filterCriteria"]), json["sortCriteria"]);
                var size = request.MaxResults ?? 50;
                var fingerprint = json.ToJsonString();
                var offset = Offset("GuardDuty", "ListCoverage", request.NextToken, fingerprint, matching.Count);
                return Task.FromResult(new ListCoverageResponse
                {
                    Resources = matching.Skip(offset).Take(size).Select(r => r.Deserialize(AwsJsonContext.Default.CoverageResource)!).ToList(),
                    NextToken = offset + size < matching.Count ? Token(offset + size, fingerprint) : null,
                });
            }
        }

        public Task<GetCoverageStatisticsResponse> GetCoverageStatisticsAsync(string detectorId, GetCoverageStatisticsRequest request, CancellationToken cancellationToken)
        {
            RequestValidation.DetectorId("GetCoverageStatistics", detectorId);
            RequestValidation.FilterCriteria("GetCoverageStatistics", request.FilterCriteria);
            foreach (var type in request.StatisticsType)
            {
                RequestValidation.Enum("GetCoverageStatistics", "statisticsType", type, ModelEnums.CoverageStatisticsType);
            }

            aws.Enter("GetCoverageStatistics");
            lock (aws._lock)
            {
                if (!State.Detectors.ContainsKey(detectorId))
                {
                    throw NotOwned("GetCoverageStatistics");
                }

                var json = JsonSerializer.SerializeToNode(request, AwsJsonContext.Default.GetCoverageStatisticsRequest)!;
                var matching = CoverageQuery.Filter(Rows(detectorId), json["filterCriteria"]).ToList();
                var statistics = CoverageQuery.Statistics(matching, request.StatisticsType);
                return Task.FromResult(new GetCoverageStatisticsResponse
                {
                    CoverageStatistics = statistics.Deserialize(AwsJsonContext.Default.CoverageStatistics),
                });
            }
        }

        public Task<AwsLookup<EksCluster>> DescribeClusterAsync(string clusterName, CancellationToken cancellationToken)
        {
            RequestValidation.ClusterName("DescribeCluster", clusterName);
            aws.Enter("DescribeCluster");
            lock (aws._lock)
            {
                return Task.FromResult(State.Clusters.TryGetValue(clusterName, out var cluster)
                    ? AwsLookup<EksCluster>.Of(cluster)
                    : AwsLookup<EksCluster>.NotFound($"No cluster found for name: {clusterName}."));
            }
        }

        public Task<AwsLookup<EksAddon>> DescribeAddonAsync(string clusterName, string addonName, CancellationToken cancellationToken)
        {
            RequestValidation.ClusterName("DescribeAddon", clusterName);
            aws.Enter("DescribeAddon");
            lock (aws._lock)
            {
                if (!State.Clusters.ContainsKey(clusterName) && !State.Addons.Keys.Any(k => k.Cluster == clusterName))
                {
                    return Task.FromResult(AwsLookup<EksAddon>.NotFound($"No cluster found for name: {clusterName}."));
                }

                return Task.FromResult(State.Addons.TryGetValue((clusterName, addonName), out var addon)
                    ? AwsLookup<EksAddon>.Of(addon)
                    : AwsLookup<EksAddon>.NotFound($"No addon: {addonName} found in cluster: {clusterName}"));
            }
        }

        public Task<DescribeAddonVersionsResponse> DescribeAddonVersionsAsync(DescribeAddonVersionsRequest request, CancellationToken cancellationToken)
        {
            RequestValidation.Range("DescribeAddonVersions", "maxResults", request.MaxResults, 1, 100);
            aws.Enter("DescribeAddonVersions");
            lock (aws._lock)
            {
                var matching = State.AddonCatalog
                    .Where(a => request.AddonName is null || a.AddonName == request.AddonName)
                    .Where(a => request.Types is null || request.Types.Contains(a.Type ?? ""))
                    .Where(a => request.Publishers is null || request.Publishers.Contains(a.Publisher ?? ""))
                    .Where(a => request.Owners is null || request.Owners.Contains(a.Owner ?? ""))
                    .Select(a => request.KubernetesVersion is null ? a : a with
                    {
                        AddonVersions = (a.AddonVersions ?? []).Where(v => (v.Compatibilities ?? []).Any(c => c.ClusterVersion == request.KubernetesVersion)).ToList(),
                    })
                    .Where(a => request.KubernetesVersion is null || a.AddonVersions!.Count > 0)
                    .ToList();
                if (request.AddonName is not null && !State.AddonCatalog.Any(a => a.AddonName == request.AddonName))
                {
                    throw ServiceError("EKS", "DescribeAddonVersions", "ResourceNotFoundException", $"Addon {request.AddonName} not found", HttpStatusCode.NotFound);
                }

                var size = request.MaxResults ?? 100;
                var fingerprint = string.Join("|", request.KubernetesVersion, request.AddonName, string.Join(",", request.Types ?? []),
                    string.Join(",", request.Publishers ?? []), string.Join(",", request.Owners ?? []), size);
                var offset = Offset("EKS", "DescribeAddonVersions", request.NextToken, fingerprint, matching.Count);
                return Task.FromResult(new DescribeAddonVersionsResponse
                {
                    Addons = matching.Skip(offset).Take(size).ToList(),
                    NextToken = offset + size < matching.Count ? Token(offset + size, fingerprint) : null,
                });
            }
        }

        public Task<EksUpdate> UpdateAddonAsync(string clusterName, string addonName, UpdateAddonRequest request, CancellationToken cancellationToken)
        {
            RequestValidation.ClusterName("UpdateAddon", clusterName);
            RequestValidation.Enum("UpdateAddon", "resolveConflicts", request.ResolveConflicts, ModelEnums.ResolveConflicts);
            aws.Enter("UpdateAddon");
            lock (aws._lock)
            {
                var token = request.ClientRequestToken ?? Guid.NewGuid().ToString();
                if (State.Updates.TryGetValue(token, out var earlier))
                {
                    return Task.FromResult(earlier);
                }

                if (!State.Addons.TryGetValue((clusterName, addonName), out var addon))
                {
                    throw ServiceError("EKS", "UpdateAddon", "ResourceNotFoundException", $"No addon: {addonName} found in cluster: {clusterName}", HttpStatusCode.NotFound);
                }

                if (request.AddonVersion is { } version && !State.AddonCatalog.Any(a => a.AddonName == addonName && (a.AddonVersions ?? []).Any(v => v.AddonVersion == version)))
                {
                    throw ServiceError("EKS", "UpdateAddon", "InvalidParameterException", $"Addon version specified is not supported: {version}");
                }

                State.Addons[(clusterName, addonName)] = addon with { AddonVersion = request.AddonVersion ?? addon.AddonVersion };
                var update = new EksUpdate
                {
                    Id = Guid.NewGuid().ToString(),
                    Status = "InProgress",
                    Type = "AddonUpdate",
                    Params = new[] { ("AddonVersion", request.AddonVersion), ("ResolveConflicts", request.ResolveConflicts) }
                        .Where(p => p.Item2 is not null).Select(p => new UpdateParam { Type = p.Item1, Value = p.Item2 }).ToList(),
                };
                State.Updates[token] = update;
                return Task.FromResult(update);
            }
        }

        public Task<CallerIdentity> GetCallerIdentityAsync(CancellationToken cancellationToken)
        {
            aws.Enter("GetCallerIdentity");
            return Task.FromResult(new CallerIdentity(aws.AccountId, $"arn:aws:sts::{aws.AccountId}:assumed-role/guardduty-coverage/test", "AROATEST:test"));
        }

        public Task<VpcDnsAttributes> DescribeVpcDnsAttributesAsync(string vpcId, CancellationToken cancellationToken)
        {
            aws.Enter("DescribeVpcAttribute");
            lock (aws._lock)
            {
                return State.Vpcs.TryGetValue(vpcId, out var vpc)
                    ? Task.FromResult(vpc)
                    : throw ServiceError("EC2", "DescribeVpcAttribute", "InvalidVpcID.NotFound", $"The vpc ID '{vpcId}' does not exist");
            }
        }

        public Task<IReadOnlyList<VpcEndpointInfo>> DescribeVpcEndpointsAsync(string vpcId, string serviceName, CancellationToken cancellationToken)
        {
            aws.Enter("DescribeVpcEndpoints");
            lock (aws._lock)
            {
                return Task.FromResult<IReadOnlyList<VpcEndpointInfo>>(State.VpcEndpoints.Where(e => e.VpcId == vpcId && e.ServiceName == serviceName).ToList());
            }
        }

        public Task<VpcInfo> DescribeVpcAsync(string vpcId, CancellationToken cancellationToken)
        {
            aws.Enter("DescribeVpcs");
            lock (aws._lock)
            {
                // A VPC exists when it was put (attributes or an owner), as EC2 answers InvalidVpcID.NotFound otherwise.
                return State.Vpcs.ContainsKey(vpcId) || State.VpcOwners.ContainsKey(vpcId)
                    ? Task.FromResult(new VpcInfo(vpcId, State.VpcOwners.GetValueOrDefault(vpcId) ?? aws.AccountId))
                    : throw ServiceError("EC2", "DescribeVpcs", "InvalidVpcID.NotFound", $"The vpc ID '{vpcId}' does not exist");
            }
        }

        private List<JsonObject> Rows(string detectorId) =>
            State.Coverage.Where(r => r.DetectorId == detectorId)
                .Select(r => JsonSerializer.SerializeToNode(r, AwsJsonContext.Default.CoverageResource)!.AsObject())
                .ToList();

        private static AwsServiceException NotOwned(string operation) =>
            ServiceError("GuardDuty", operation, "BadRequestException", "The request is rejected because the input detectorId is not owned by the current account.");
    }
}
