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
/// The state behind the local GuardDuty and EKS endpoints: coverage resources, clusters, add-ons and add-on versions,
/// as model-shaped JSON (epoch-second timestamps). Tests change it between calls; every method is thread-safe.
/// </summary>
public sealed class LocalAwsState
{
    private readonly object _lock = new();
    private readonly List<JsonObject> _coverage = [];
    private readonly HashSet<string> _detectors = new(StringComparer.Ordinal);
    private readonly HashSet<string> _clusters = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Cluster, string Addon), JsonObject> _addons = [];
    private readonly List<JsonObject> _addonCatalog = [];
    private readonly Dictionary<string, JsonObject> _updatesByToken = new(StringComparer.Ordinal);
    private readonly List<AwsFault> _faults = [];
    private readonly List<RecordedAwsRequest> _requests = [];

    public void AddDetector(string detectorId)
    {
        lock (_lock)
        {
            _detectors.Add(detectorId);
        }
    }

    public bool HasDetector(string detectorId)
    {
        lock (_lock)
        {
            return _detectors.Contains(detectorId);
        }
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

    public void AddCluster(string clusterName)
    {
        lock (_lock)
        {
            _clusters.Add(clusterName);
        }
    }

    public bool HasCluster(string clusterName)
    {
        lock (_lock)
        {
            return _clusters.Contains(clusterName);
        }
    }

    /// <summary>Installs (or replaces) an add-on on a cluster; the cluster becomes known.</summary>
    public void PutAddon(JsonObject addon)
    {
        lock (_lock)
        {
            var cluster = (string)addon["clusterName"]!;
            _clusters.Add(cluster);
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
