using System.Globalization;
using System.Text.Json.Nodes;
using KubeSandbox.Json;

namespace GuardDutyCoverage.Sandbox.Aws;

/// <summary>
/// A seed for the local AWS endpoints (<c>guardduty-sandbox serve --aws-seed FILE</c>), YAML or JSON:
/// <code>
/// region: us-east-1                  # what AWS_REGION is set to (default us-east-1)
/// accountId: "111122223333"          # owner of coverage resources, clusters, add-ons (default 111122223333)
/// detectors:
/// - detectorId: 12abc34d567e8fa901bc2d34e56789f0
///   status: ENABLED                  # ENABLED | DISABLED
///   runtimeMonitoring: ENABLED       # ENABLED | DISABLED | ABSENT (no RUNTIME_MONITORING feature)
///   eksAddonManagement: ENABLED      # ENABLED | DISABLED
/// coverage:
/// - clusterName: prod-eks-1
///   detectorId: 12abc...             # default: the only detector
///   coverageStatus: UNHEALTHY        # HEALTHY | UNHEALTHY
///   issue: "..."                     # optional
///   managementType: AUTO_MANAGED     # AUTO_MANAGED | MANUAL | DISABLED
///   addonVersion: v1.11.0-eksbuild.4
///   addonStatus: ACTIVE
///   coveredNodes: 3
///   compatibleNodes: 3
///   updatedAt: 2026-01-01T00:00:00Z
/// clusters:
/// - name: prod-eks-1
///   version: "1.31"
///   status: ACTIVE
///   platformVersion: eks.12
///   addons:
///   - addonName: aws-guardduty-agent # the default
///     addonVersion: v1.11.0-eksbuild.4
///     status: ACTIVE                 # ACTIVE | DEGRADED | CREATE_FAILED | ...
///     issues: [{code: InsufficientNumberOfReplicas, message: "..."}]
/// addonVersions:
/// - addonName: aws-guardduty-agent
///   type: security
///   versions: [{version: v1.11.0-eksbuild.4, clusterVersions: ["1.31"]}]
/// </code>
/// Unknown keys are refused; every object built from the seed is validated against the botocore model, so the
/// endpoints serve only what AWS could.
/// </summary>
public sealed class LocalAwsSeed
{
    public const string DefaultRegion = "us-east-1";
    public const string DefaultAccountId = "111122223333";

    private readonly List<Action<LocalAwsState>> _apply = [];

    private LocalAwsSeed(string region) => Region = region;

    /// <summary>The region the seed describes (AWS_REGION for the operator).</summary>
    public string Region { get; }

    /// <summary>Parses and validates a seed document.</summary>
    /// <exception cref="FormatException">The text is not YAML/JSON, or a member is unknown, missing or invalid (the message names it).</exception>
    public static LocalAwsSeed Parse(string text, ServiceModel guardDuty, ServiceModel eks)
    {
        ArgumentNullException.ThrowIfNull(guardDuty);
        ArgumentNullException.ThrowIfNull(eks);
        var documents = YamlJson.ParseDocuments(text);
        if (documents.Count != 1 || documents[0] is not JsonObject root)
        {
            throw new FormatException("the AWS seed must be one YAML or JSON object");
        }

        var reader = new SeedReader(root, "");
        reader.Only("region", "accountId", "detectors", "coverage", "clusters", "addonVersions");
        var seed = new LocalAwsSeed(reader.String("region") ?? DefaultRegion);
        var accountId = reader.String("accountId") ?? DefaultAccountId;

        var detectorIds = new List<string>();
        foreach (var detector in reader.Objects("detectors"))
        {
            detector.Only("detectorId", "status", "runtimeMonitoring", "eksAddonManagement");
            var id = detector.Required("detectorId");
            var runtime = detector.String("runtimeMonitoring") ?? "ENABLED";
            var response = LocalAwsState.Detector(
                detector.String("status") ?? "ENABLED",
                runtime == "ABSENT" ? null : runtime,
                detector.String("eksAddonManagement") ?? "ENABLED",
                accountId);
            Validate(guardDuty, "GetDetectorResponse", response, detector.Path);
            detectorIds.Add(id);
            seed._apply.Add(state => state.PutDetector(id, response));
        }

        foreach (var coverage in reader.Objects("coverage"))
        {
            coverage.Only("clusterName", "detectorId", "coverageStatus", "issue", "managementType", "addonVersion", "addonStatus", "coveredNodes", "compatibleNodes", "updatedAt");
            var detectorId = coverage.String("detectorId") ?? (detectorIds.Count == 1
                ? detectorIds[0]
                : throw new FormatException($"{coverage.Path}.detectorId: required when the seed has {detectorIds.Count} detectors"));
            var resource = LocalAwsState.EksCoverage(
                detectorId,
                accountId,
                coverage.Required("clusterName"),
                coverage.String("coverageStatus") ?? "HEALTHY",
                coverage.String("issue"),
                coverage.String("managementType") ?? "AUTO_MANAGED",
                coverage.String("addonVersion") ?? "v1.11.0-eksbuild.4",
                coverage.String("addonStatus") ?? "ACTIVE",
                coverage.Integer("coveredNodes") ?? 3,
                coverage.Integer("compatibleNodes") ?? 3,
                coverage.Time("updatedAt"));
            Validate(guardDuty, "CoverageResource", resource, coverage.Path);
            seed._apply.Add(state => state.PutCoverage(resource));
        }

        foreach (var cluster in reader.Objects("clusters"))
        {
            cluster.Only("name", "version", "status", "platformVersion", "addons");
            var name = cluster.Required("name");
            var described = LocalAwsState.Cluster(
                name,
                cluster.String("version") ?? "1.31",
                cluster.String("status") ?? "ACTIVE",
                cluster.String("platformVersion") ?? "eks.12",
                seed.Region,
                accountId);
            Validate(eks, "Cluster", described, cluster.Path);
            seed._apply.Add(state => state.PutCluster(described));
            foreach (var addon in cluster.Objects("addons"))
            {
                addon.Only("addonName", "addonVersion", "status", "issues");
                var issues = addon.Objects("issues").Select(i =>
                {
                    i.Only("code", "message");
                    return (i.Required("code"), i.String("message") ?? "");
                }).ToArray();
                var installed = LocalAwsState.GuardDutyAddon(name, addon.String("addonVersion") ?? "v1.11.0-eksbuild.4", addon.String("status") ?? "ACTIVE", issues);
                installed["addonName"] = addon.String("addonName") ?? "aws-guardduty-agent";
                installed["addonArn"] = $"arn:aws:eks:{seed.Region}:{accountId}:addon/{name}/{installed["addonName"]}/{Guid.NewGuid()}";
                Validate(eks, "Addon", installed, addon.Path);
                seed._apply.Add(state => state.PutAddon(installed));
            }
        }

        foreach (var info in reader.Objects("addonVersions"))
        {
            info.Only("addonName", "type", "versions");
            var versions = info.Objects("versions").Select(v =>
            {
                v.Only("version", "clusterVersions");
                return (v.Required("version"), v.Strings("clusterVersions").ToArray());
            }).ToArray();
            var addonInfo = LocalAwsState.AddonInfo(info.Required("addonName"), info.String("type") ?? "security", versions);
            Validate(eks, "AddonInfo", addonInfo, info.Path);
            seed._apply.Add(state => state.AddAddonInfo(addonInfo));
        }

        return seed;
    }

    /// <summary>Puts everything the seed describes into <paramref name="state"/>.</summary>
    public void ApplyTo(LocalAwsState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        foreach (var apply in _apply)
        {
            apply(state);
        }
    }

    private static void Validate(ServiceModel model, string shape, JsonObject value, string path)
    {
        var violations = model.ValidateValue(shape, value);
        if (violations.Count > 0)
        {
            throw new FormatException($"{path}: {string.Join("; ", violations.Select(v => v.Message))}");
        }
    }

    /// <summary>Reads one object of the seed, naming members by their path in errors.</summary>
    private sealed class SeedReader(JsonObject node, string path)
    {
        public string Path { get; } = path.Length == 0 ? "(seed)" : path;

        public void Only(params string[] members)
        {
            foreach (var (name, _) in node)
            {
                if (!members.Contains(name, StringComparer.Ordinal))
                {
                    throw new FormatException($"{Member(name)}: unknown member (expected one of {string.Join(", ", members)})");
                }
            }
        }

        public string? String(string name) => node[name] switch
        {
            null => null,
            JsonValue value when value.TryGetValue<string>(out var text) => text,
            JsonValue value => value.ToJsonString(),
            _ => throw new FormatException($"{Member(name)}: must be a string"),
        };

        public string Required(string name) =>
            String(name) is { Length: > 0 } value ? value : throw new FormatException($"{Member(name)}: required");

        public long? Integer(string name) => node[name] switch
        {
            null => null,
            JsonValue value when value.TryGetValue<long>(out var number) => number,
            JsonValue value when value.TryGetValue<string>(out var text) && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => throw new FormatException($"{Member(name)}: must be a whole number"),
        };

        public DateTimeOffset? Time(string name) => String(name) is not { } text
            ? null
            : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
                ? time
                : throw new FormatException($"{Member(name)}: \"{text}\" is not a time (for example 2026-01-01T00:00:00Z)");

        public IEnumerable<string> Strings(string name) => node[name] switch
        {
            null => [],
            JsonArray array => array.Select((item, i) => item is JsonValue value && value.TryGetValue<string>(out var text)
                ? text
                : throw new FormatException($"{Member(name)}[{i}]: must be a string")).ToList(),
            _ => throw new FormatException($"{Member(name)}: must be a list"),
        };

        public IEnumerable<SeedReader> Objects(string name) => node[name] switch
        {
            null => [],
            JsonArray array => array.Select((item, i) => item is JsonObject obj
                ? new SeedReader(obj, $"{Member(name)}[{i}]")
                : throw new FormatException($"{Member(name)}[{i}]: must be an object")).ToList(),
            _ => throw new FormatException($"{Member(name)}: must be a list"),
        };

        private string Member(string name) => path.Length == 0 ? name : $"{path}.{name}";
    }
}
