using System.Globalization;
using System.Text.Json.Nodes;

namespace GuardDutyCoverage.Sandbox.Aws;

/// <summary>What an injected fault does to a request.</summary>
public enum AwsFaultKind
{
    /// <summary>Answer with an error response (status, code, message).</summary>
    Error,

    /// <summary>Never answer: hold the request until the client gives up.</summary>
    Hang,

    /// <summary>Close the connection without an answer.</summary>
    DropConnection,

    /// <summary>Answer normally but with a nextToken the service already returned, forever.</summary>
    PagingLoop,
}

/// <summary>A fault for the next <see cref="Times"/> requests of <see cref="Operation"/> (null: any operation).</summary>
/// <param name="CodeInBody">Put the error code in the body as a Smithy <c>__type</c> instead of the x-amzn-ErrorType header.</param>
public sealed record AwsFault(
    AwsFaultKind Kind,
    string? Operation = null,
    int Times = 1,
    int Status = 500,
    string Code = "InternalServerErrorException",
    string Message = "Internal server error",
    bool CodeInBody = false)
{
    public static AwsFault Error(string? operation, int status, string code, string message, int times = 1) =>
        new(AwsFaultKind.Error, operation, times, status, code, message);

    public static AwsFault Throttle(string? operation, int times = 1) =>
        new(AwsFaultKind.Error, operation, times, 429, "TooManyRequestsException", "Rate exceeded");
}

/// <summary>A request the local endpoints received (after routing), for assertions.</summary>
public sealed record RecordedAwsRequest(string Service, string Operation, string Method, string RawTarget, string Body, string? Region, int Status);

/// <summary>
/// The state behind the local GuardDuty and EKS endpoints: detectors, coverage resources, clusters, add-ons and add-on
/// versions, as model-shaped JSON (epoch-second timestamps, except GetDetector's string times). Tests change it between
/// calls; every method is thread-safe.
/// </summary>
public sealed class LocalAwsState
{
    private readonly object _lock = new();
    private readonly List<JsonObject> _coverage = [];
    private readonly List<(string Id, JsonObject Detector)> _detectors = [];
    private readonly Dictionary<string, JsonObject> _clusters = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Cluster, string Addon), JsonObject> _addons = [];
    private readonly List<JsonObject> _addonCatalog = [];
    private readonly Dictionary<string, JsonObject> _updatesByToken = new(StringComparer.Ordinal);
    private readonly List<AwsFault> _faults = [];
    private readonly List<RecordedAwsRequest> _requests = [];

    /// <summary>Adds (or replaces) an enabled detector with EKS Runtime Monitoring and automated agent management on.</summary>
    public void AddDetector(string detectorId) => PutDetector(detectorId, Detector());

    /// <summary>Adds or replaces a detector; <paramref name="detector"/> is a model-shaped GetDetectorResponse.</summary>
    public void PutDetector(string detectorId, JsonObject detector)
    {
        lock (_lock)
        {
            _detectors.RemoveAll(d => d.Id == detectorId);
            _detectors.Add((detectorId, (JsonObject)detector.DeepClone()));
        }
    }

    public bool RemoveDetector(string detectorId)
    {
        lock (_lock)
        {
            return _detectors.RemoveAll(d => d.Id == detectorId) > 0;
        }
    }

    public bool HasDetector(string detectorId)
    {
        lock (_lock)
        {
            return _detectors.Any(d => d.Id == detectorId);
        }
    }

    /// <summary>The detector IDs in the order they were added (what ListDetectors pages through).</summary>
    public List<string> DetectorIds()
    {
        lock (_lock)
        {
            return _detectors.Select(d => d.Id).ToList();
        }
    }

    /// <summary>The GetDetectorResponse of a detector, copied; null when there is no such detector.</summary>
    public JsonObject? GetDetector(string detectorId)
    {
        lock (_lock)
        {
            return _detectors.Where(d => d.Id == detectorId).Select(d => (JsonObject)d.Detector.DeepClone()).FirstOrDefault();
        }
    }

    /// <summary>
    /// A model-shaped GetDetectorResponse: <paramref name="status"/> ENABLED or DISABLED; the RUNTIME_MONITORING feature
    /// with its EKS_ADDON_MANAGEMENT configuration (ENABLED or DISABLED; null leaves the feature out).
    /// </summary>
    public static JsonObject Detector(
        string status = "ENABLED",
        string? runtimeMonitoring = "ENABLED",
        string eksAddonManagement = "ENABLED",
        string accountId = "111122223333",
        DateTimeOffset? createdAt = null)
    {
        var created = (createdAt ?? new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero)).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        static JsonObject Enabled(string status) => new() { ["status"] = status };
        var features = new JsonArray(
            new JsonObject { ["name"] = "CLOUD_TRAIL", ["status"] = "ENABLED", ["updatedAt"] = 1735689600.0 },
            new JsonObject { ["name"] = "DNS_LOGS", ["status"] = "ENABLED", ["updatedAt"] = 1735689600.0 },
            new JsonObject { ["name"] = "FLOW_LOGS", ["status"] = "ENABLED", ["updatedAt"] = 1735689600.0 });
        if (runtimeMonitoring is not null)
        {
            features.Add(new JsonObject
            {
                ["name"] = "RUNTIME_MONITORING",
                ["status"] = runtimeMonitoring,
                ["updatedAt"] = 1735689600.0,
                ["additionalConfiguration"] = new JsonArray(
                    new JsonObject { ["name"] = "EKS_ADDON_MANAGEMENT", ["status"] = eksAddonManagement, ["updatedAt"] = 1735689600.0 },
                    new JsonObject { ["name"] = "ECS_FARGATE_AGENT_MANAGEMENT", ["status"] = "DISABLED", ["updatedAt"] = 1735689600.0 },
                    new JsonObject { ["name"] = "EC2_AGENT_MANAGEMENT", ["status"] = "DISABLED", ["updatedAt"] = 1735689600.0 }),
            });
        }

        return new JsonObject
        {
            ["createdAt"] = created,
            ["findingPublishingFrequency"] = "SIX_HOURS",
            ["serviceRole"] = $"arn:aws:iam::{accountId}:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty",
            ["status"] = status,
            ["updatedAt"] = created,
            ["dataSources"] = new JsonObject
            {
                ["cloudTrail"] = Enabled("ENABLED"),
                ["dnsLogs"] = Enabled("ENABLED"),
                ["flowLogs"] = Enabled("ENABLED"),
                ["s3Logs"] = Enabled("DISABLED"),
            },
            ["features"] = features,
        };
    }

    /// <summary>Adds or replaces (by resourceId and detectorId) a CoverageResource.</summary>
    public void PutCoverage(JsonObject resource)
    {
        lock (_lock)
        {
            var id = (string?)resource["resourceId"];
            var detector = (string?)resource["detectorId"];
            var index = _coverage.FindIndex(r => (string?)r["resourceId"] == id && (string?)r["detectorId"] == detector);
            if (index >= 0)
            {
                _coverage[index] = (JsonObject)resource.DeepClone();
            }
            else
            {
                _coverage.Add((JsonObject)resource.DeepClone());
            }
        }
    }

    public bool RemoveCoverage(string detectorId, string resourceId)
    {
        lock (_lock)
        {
            return _coverage.RemoveAll(r => (string?)r["resourceId"] == resourceId && (string?)r["detectorId"] == detectorId) > 0;
        }
    }

    /// <summary>The coverage resources of a detector, copied.</summary>
    public List<JsonObject> Coverage(string detectorId)
    {
        lock (_lock)
        {
            return _coverage.Where(r => (string?)r["detectorId"] == detectorId).Select(r => (JsonObject)r.DeepClone()).ToList();
        }
    }

    /// <summary>A model-shaped EKS CoverageResource.</summary>
    public static JsonObject EksCoverage(
        string detectorId,
        string accountId,
        string clusterName,
        string coverageStatus,
        string? issue = null,
        string managementType = "AUTO_MANAGED",
        string? addonVersion = "v1.11.0-eksbuild.4",
        string? addonStatus = "ACTIVE",
        long coveredNodes = 3,
        long compatibleNodes = 3,
        DateTimeOffset? updatedAt = null)
    {
        var details = new JsonObject
        {
            ["clusterName"] = clusterName,
            ["coveredNodes"] = coveredNodes,
            ["compatibleNodes"] = compatibleNodes,
            ["managementType"] = managementType,
        };
        if (addonVersion is not null || addonStatus is not null)
        {
            var addon = new JsonObject();
            if (addonVersion is not null)
            {
                addon["addonVersion"] = addonVersion;
            }

            if (addonStatus is not null)
            {
                addon["addonStatus"] = addonStatus;
            }

            details["addonDetails"] = addon;
        }

        var resource = new JsonObject
        {
            ["resourceId"] = clusterName,
            ["detectorId"] = detectorId,
            ["accountId"] = accountId,
            ["resourceDetails"] = new JsonObject { ["resourceType"] = "EKS", ["eksClusterDetails"] = details },
            ["coverageStatus"] = coverageStatus,
            ["updatedAt"] = Epoch(updatedAt ?? new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero)),
        };
        if (issue is not null)
        {
            resource["issue"] = issue;
        }

        return resource;
    }

    /// <summary>Adds an ACTIVE cluster (Kubernetes 1.31) unless one of that name exists.</summary>
    public void AddCluster(string clusterName)
    {
        lock (_lock)
        {
            _clusters.TryAdd(clusterName, Cluster(clusterName));
        }
    }

    /// <summary>Adds or replaces a cluster; <paramref name="cluster"/> is a model-shaped EKS Cluster (its name is the key).</summary>
    public void PutCluster(JsonObject cluster)
    {
        lock (_lock)
        {
            _clusters[(string)cluster["name"]!] = (JsonObject)cluster.DeepClone();
        }
    }

    public bool HasCluster(string clusterName)
    {
        lock (_lock)
        {
            return _clusters.ContainsKey(clusterName);
        }
    }

    /// <summary>The DescribeCluster cluster, copied; null when there is no such cluster.</summary>
    public JsonObject? GetCluster(string clusterName)
    {
        lock (_lock)
        {
            return _clusters.TryGetValue(clusterName, out var cluster) ? (JsonObject)cluster.DeepClone() : null;
        }
    }

    /// <summary>A model-shaped EKS Cluster (what DescribeCluster returns under <c>cluster</c>).</summary>
    public static JsonObject Cluster(
        string name,
        string version = "1.31",
        string status = "ACTIVE",
        string platformVersion = "eks.12",
        string region = "us-east-1",
        string accountId = "111122223333",
        string vpcId = "vpc-0a1b2c3d4e5f67890")
    {
        var id = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)))[..32];
        return new JsonObject
        {
            ["name"] = name,
            ["arn"] = $"arn:aws:eks:{region}:{accountId}:cluster/{name}",
            ["createdAt"] = Epoch(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero)),
            ["version"] = version,
            ["endpoint"] = $"https://{id}.gr7.{region}.eks.amazonaws.com",
            ["roleArn"] = $"arn:aws:iam::{accountId}:role/eks-cluster-role",
            ["resourcesVpcConfig"] = new JsonObject
            {
                ["subnetIds"] = new JsonArray("subnet-0123456789abcdef0", "subnet-0fedcba9876543210"),
                ["securityGroupIds"] = new JsonArray(),
                ["clusterSecurityGroupId"] = "sg-0123456789abcdef0",
                ["vpcId"] = vpcId,
                ["endpointPublicAccess"] = false,
                ["endpointPrivateAccess"] = true,
            },
            ["kubernetesNetworkConfig"] = new JsonObject { ["serviceIpv4Cidr"] = "10.100.0.0/16", ["ipFamily"] = "ipv4" },
            ["identity"] = new JsonObject { ["oidc"] = new JsonObject { ["issuer"] = $"https://oidc.eks.{region}.amazonaws.com/id/{id}" } },
            ["status"] = status,
            ["certificateAuthority"] = new JsonObject { ["data"] = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t" },
            ["platformVersion"] = platformVersion,
            ["health"] = new JsonObject { ["issues"] = new JsonArray() },
            ["accessConfig"] = new JsonObject { ["authenticationMode"] = "API_AND_CONFIG_MAP" },
        };
    }

    /// <summary>Installs (or replaces) an add-on on a cluster; the cluster becomes known.</summary>
    public void PutAddon(JsonObject addon)
    {
        lock (_lock)
        {
            var cluster = (string)addon["clusterName"]!;
            _clusters.TryAdd(cluster, Cluster(cluster));
            _addons[(cluster, (string)addon["addonName"]!)] = (JsonObject)addon.DeepClone();
        }
    }

    public bool RemoveAddon(string clusterName, string addonName)
    {
        lock (_lock)
        {
            return _addons.Remove((clusterName, addonName));
        }
    }

    public JsonObject? Addon(string clusterName, string addonName)
    {
        lock (_lock)
        {
            return _addons.TryGetValue((clusterName, addonName), out var addon) ? (JsonObject)addon.DeepClone() : null;
        }
    }

    /// <summary>A model-shaped EKS Addon.</summary>
    public static JsonObject GuardDutyAddon(string clusterName, string version = "v1.11.0-eksbuild.4", string status = "ACTIVE", params (string Code, string Message)[] issues)
    {
        var arnTail = Guid.NewGuid().ToString();
        return new JsonObject
        {
            ["addonName"] = "aws-guardduty-agent",
            ["clusterName"] = clusterName,
            ["status"] = status,
            ["addonVersion"] = version,
            ["health"] = new JsonObject
            {
                ["issues"] = new JsonArray(issues.Select(i => (JsonNode)new JsonObject
                {
                    ["code"] = i.Code,
                    ["message"] = i.Message,
                    ["resourceIds"] = new JsonArray(),
                }).ToArray()),
            },
            ["addonArn"] = $"arn:aws:eks:us-east-1:111122223333:addon/{clusterName}/aws-guardduty-agent/{arnTail}",
            ["createdAt"] = Epoch(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero)),
            ["modifiedAt"] = Epoch(new DateTimeOffset(2025, 1, 2, 0, 0, 0, TimeSpan.Zero)),
            ["publisher"] = "eks",
            ["owner"] = "aws",
        };
    }

    /// <summary>Adds an AddonInfo (model-shaped) to what DescribeAddonVersions serves.</summary>
    public void AddAddonInfo(JsonObject addonInfo)
    {
        lock (_lock)
        {
            _addonCatalog.RemoveAll(a => (string?)a["addonName"] == (string?)addonInfo["addonName"]);
            _addonCatalog.Add((JsonObject)addonInfo.DeepClone());
        }
    }

    public List<JsonObject> AddonCatalog()
    {
        lock (_lock)
        {
            return _addonCatalog.Select(a => (JsonObject)a.DeepClone()).ToList();
        }
    }

    /// <summary>A model-shaped AddonInfo with versions, each compatible with the given Kubernetes versions.</summary>
    public static JsonObject AddonInfo(string addonName, string type, params (string Version, string[] ClusterVersions)[] versions) => new()
    {
        ["addonName"] = addonName,
        ["type"] = type,
        ["addonVersions"] = new JsonArray(versions.Select(v => (JsonNode)new JsonObject
        {
            ["addonVersion"] = v.Version,
            ["architecture"] = new JsonArray("amd64", "arm64"),
            ["computeTypes"] = new JsonArray("ec2"),
            ["compatibilities"] = new JsonArray(v.ClusterVersions.Select(c => (JsonNode)new JsonObject
            {
                ["clusterVersion"] = c,
                ["platformVersions"] = new JsonArray("*"),
                ["defaultVersion"] = false,
            }).ToArray()),
            ["requiresConfiguration"] = false,
            ["requiresIamPermissions"] = false,
        }).ToArray()),
        ["publisher"] = "eks",
        ["owner"] = "aws",
    };

    /// <summary>Applies an UpdateAddon; the same client token returns the same update (idempotency).</summary>
    internal JsonObject ApplyUpdate(string cluster, string addonName, string? token, string? version, string? resolveConflicts, double now)
    {
        lock (_lock)
        {
            if (token is not null && _updatesByToken.TryGetValue(token, out var earlier))
            {
                return (JsonObject)earlier.DeepClone();
            }

            var addon = _addons[(cluster, addonName)];
            var parameters = new JsonArray();
            if (version is not null)
            {
                addon["addonVersion"] = version;
                parameters.Add(new JsonObject { ["type"] = "AddonVersion", ["value"] = version });
            }

            if (resolveConflicts is not null)
            {
                parameters.Add(new JsonObject { ["type"] = "ResolveConflicts", ["value"] = resolveConflicts });
            }

            addon["modifiedAt"] = now;
            var update = new JsonObject
            {
                ["id"] = Guid.NewGuid().ToString(),
                ["status"] = "InProgress",
                ["type"] = "AddonUpdate",
                ["params"] = parameters,
                ["createdAt"] = now,
                ["errors"] = new JsonArray(),
            };
            if (token is not null)
            {
                _updatesByToken[token] = (JsonObject)update.DeepClone();
            }

            return update;
        }
    }

    public void InjectFault(AwsFault fault)
    {
        lock (_lock)
        {
            _faults.Add(fault);
        }
    }

    public void ClearFaults()
    {
        lock (_lock)
        {
            _faults.Clear();
        }
    }

    internal AwsFault? TakeFault(string operation)
    {
        lock (_lock)
        {
            var index = _faults.FindIndex(f => f.Operation is null || f.Operation == operation);
            if (index < 0)
            {
                return null;
            }

            var fault = _faults[index];
            if (fault.Times <= 1)
            {
                _faults.RemoveAt(index);
            }
            else
            {
                _faults[index] = fault with { Times = fault.Times - 1 };
            }

            return fault;
        }
    }

    internal void Record(RecordedAwsRequest request)
    {
        lock (_lock)
        {
            _requests.Add(request);
        }
    }

    /// <summary>Every request received so far, in order.</summary>
    public IReadOnlyList<RecordedAwsRequest> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    public int CountRequests(string operation)
    {
        lock (_lock)
        {
            return _requests.Count(r => r.Operation == operation);
        }
    }

    public static double Epoch(DateTimeOffset time) => Math.Round(time.ToUnixTimeMilliseconds() / 1000d, 3);

    internal static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
