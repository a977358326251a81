using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GuardDutyCoverage.Sandbox.Aws;

public sealed record LocalAwsServerOptions
{
    /// <summary>The folder with guardduty-2017-11-28.service-2.json and eks-2017-11-01.service-2.json.</summary>
    public required string ModelsDirectory { get; init; }

    public IReadOnlyCollection<LocalAwsCredentials> Credentials { get; init; } = [LocalAwsServer.TestCredentials];

    /// <summary>The clock for signature expiry and for timestamps the endpoints write.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>
/// Local GuardDuty (ListDetectors, GetDetector, ListCoverage, GetCoverageStatistics) and EKS (DescribeCluster,
/// DescribeAddon, DescribeAddonVersions, UpdateAddon) endpoints on 127.0.0.1 with an OS-chosen port, plain HTTP. Every request is routed and validated against the
/// official botocore models loaded at start, its SigV4 signature verified, and answered from <see cref="State"/>
/// with model-shaped JSON; <see cref="LocalAwsState.InjectFault"/> makes it misbehave.
/// </summary>
public sealed class LocalAwsServer : IAsyncDisposable
{
    public const string GuardDutyModelFile = "guardduty-2017-11-28.service-2.json";
    public const string EksModelFile = "eks-2017-11-01.service-2.json";

    public static readonly LocalAwsCredentials TestCredentials = new("AKIDLOCALTEST0000001", "local/test/secret/key/0000000000000000000");

    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    private readonly WebApplication _app;
    private readonly SigV4Verifier _verifier;
    private readonly IReadOnlyCollection<LocalAwsCredentials> _credentials;
    private readonly TimeProvider _time;
    private readonly Channel<RecordedAwsRequest> _arrivals = Channel.CreateUnbounded<RecordedAwsRequest>();

    private LocalAwsServer(WebApplication app, LocalAwsServerOptions options)
    {
        _app = app;
        _time = options.Time;
        _verifier = new SigV4Verifier(options.Credentials, options.Time);
        _credentials = options.Credentials;
        GuardDutyModel = ServiceModel.Load(Path.Combine(options.ModelsDirectory, GuardDutyModelFile));
        EksModel = ServiceModel.Load(Path.Combine(options.ModelsDirectory, EksModelFile));
    }

    public LocalAwsState State { get; } = new();

    public ServiceModel GuardDutyModel { get; }

    public ServiceModel EksModel { get; }

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Each routed request as it arrives (before faults and handling): tests await these instead of sleeping.</summary>
    public ChannelReader<RecordedAwsRequest> Arrivals => _arrivals.Reader;

    public static async Task<LocalAwsServer> StartAsync(LocalAwsServerOptions options, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new LocalAwsServer(app, options);
        app.Run(server.HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Endpoint = new Uri(address);
        return server;
    }

    /// <summary>
    /// What a process needs in its environment to use these endpoints with the AWS SDKs' standard variables (the
    /// operator's <c>AwsEndpointOverrides.FromEnvironment</c>, the AWS CLI): per-service endpoint URLs for GuardDuty and
    /// EKS only (STS and EC2 stay where they are), the test credentials, the region (also as AWS_DEFAULT_REGION for the
    /// AWS CLI), and no instance metadata lookups.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> Environment(string region)
    {
        ArgumentException.ThrowIfNullOrEmpty(region);
        var endpoint = Endpoint.ToString().TrimEnd('/');
        var credentials = _credentials.First();
        return
        [
            KeyValuePair.Create("AWS_ENDPOINT_URL_GUARDDUTY", endpoint),
            KeyValuePair.Create("AWS_ENDPOINT_URL_EKS", endpoint),
            KeyValuePair.Create("AWS_ACCESS_KEY_ID", credentials.AccessKeyId),
            KeyValuePair.Create("AWS_SECRET_ACCESS_KEY", credentials.SecretAccessKey),
            KeyValuePair.Create("AWS_REGION", region),
            KeyValuePair.Create("AWS_DEFAULT_REGION", region), // what the AWS CLI v1 reads
            KeyValuePair.Create("AWS_EC2_METADATA_DISABLED", "true"),
        ];
    }

    /// <summary><see cref="Environment"/> as an env file: <c>NAME=value</c> lines (for <c>set -a; . FILE</c>, make's <c>include</c>, docker's --env-file).</summary>
    public string EnvironmentFile(string region) =>
        string.Concat(Environment(region).Select(v => $"{v.Key}={v.Value}\n"));

    public async ValueTask DisposeAsync()
    {
        _arrivals.Writer.TryComplete();
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (request.Path + request.QueryString).ToString();
        var questionMark = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var rawPath = questionMark < 0 ? rawTarget : rawTarget[..questionMark];
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        var body = buffer.ToArray();

        ServiceModel model;
        if (GuardDutyModel.TryMatch(request.Method, rawPath, out var operation, out var uriMembers))
        {
            model = GuardDutyModel;
        }
        else if (EksModel.TryMatch(request.Method, rawPath, out operation, out uriMembers))
        {
            model = EksModel;
        }
        else
        {
            await WriteErrorAsync(context, null, 404, "UnknownOperationException", $"No operation matches {request.Method} {rawPath}").ConfigureAwait(false);
            return;
        }

        var failure = _verifier.Verify(
            request.Method, rawTarget, name => request.Headers.TryGetValue(name, out var v) ? v.ToString() : null, body, model.SigningName, out var region);
        var recorded = new RecordedAwsRequest(model.ServiceId, operation.Name, request.Method, rawTarget, Encoding.UTF8.GetString(body), region, failure?.Status ?? 200);
        State.Record(recorded);
        _arrivals.Writer.TryWrite(recorded);
        if (failure is not null)
        {
            await WriteErrorAsync(context, model, failure.Status, failure.Code, failure.Message).ConfigureAwait(false);
            return;
        }

        var pagingLoop = false;
        if (State.TakeFault(operation.Name) is { } fault)
        {
            switch (fault.Kind)
            {
                case AwsFaultKind.Error:
                    await WriteErrorAsync(context, model, fault.Status, fault.Code, fault.Message, codeInBody: fault.CodeInBody).ConfigureAwait(false);
                    return;
                case AwsFaultKind.Hang:
                    try
                    {
                        await Task.Delay(Timeout.Infinite, context.RequestAborted).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                    }

                    return;
                case AwsFaultKind.DropConnection:
                    context.Abort();
                    return;
                case AwsFaultKind.PagingLoop:
                    pagingLoop = true;
                    break;
            }
        }

        var query = ParseQuery(questionMark < 0 ? "" : rawTarget[(questionMark + 1)..]);
        JsonNode? json = null;
        if (body.Length > 0)
        {
            try
            {
                json = JsonNode.Parse(body);
            }
            catch (JsonException e)
            {
                await WriteErrorAsync(context, model, 400, "SerializationException", $"The request body is not valid JSON: {e.Message}").ConfigureAwait(false);
                return;
            }
        }

        var violations = model.ValidateRequest(operation, uriMembers, query, json);
        if (violations.Count > 0)
        {
            var message = $"{violations.Count} validation error{(violations.Count == 1 ? "" : "s")} detected: {string.Join("; ", violations.Select(v => v.Message))}";
            await WriteErrorAsync(context, model, 400, model == GuardDutyModel ? "BadRequestException" : "InvalidParameterException", message).ConfigureAwait(false);
            return;
        }

        var (status, response) = operation.Name switch
        {
            "ListDetectors" => ListDetectors(query, pagingLoop),
            "GetDetector" => GetDetector(uriMembers["DetectorId"]),
            "DescribeCluster" => DescribeCluster(uriMembers["name"]),
            "ListCoverage" => ListCoverage(uriMembers["DetectorId"], json ?? new JsonObject(), pagingLoop),
            "GetCoverageStatistics" => GetCoverageStatistics(uriMembers["DetectorId"], json ?? new JsonObject()),
            "DescribeAddon" => DescribeAddon(uriMembers["name"], uriMembers["addonName"]),
            "DescribeAddonVersions" => DescribeAddonVersions(query, pagingLoop),
            "UpdateAddon" => UpdateAddon(uriMembers["name"], uriMembers["addonName"], json ?? new JsonObject()),
            _ => (404, Error("UnknownOperationException", $"The local endpoints do not serve {model.ServiceId} {operation.Name}")),
        };

        if (status != 200)
        {
            await WriteErrorAsync(context, model, status, (string)response["__code"]!, (string)response["message"]!, response).ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = operation.SuccessCode;
        context.Response.ContentType = "application/json";
        context.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
        await context.Response.WriteAsync(response.ToJsonString(Compact), context.RequestAborted).ConfigureAwait(false);
    }

    private (int, JsonObject) ListDetectors(IReadOnlyList<KeyValuePair<string, string>> query, bool pagingLoop)
    {
        var detectors = State.DetectorIds();
        var maxResults = query.FirstOrDefault(p => p.Key == "maxResults").Value;
        var pageSize = int.TryParse(maxResults, NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : 50;
        var fingerprint = new JsonObject { ["maxResults"] = pageSize };
        if (!TryPage(fingerprint, query.FirstOrDefault(p => p.Key == "nextToken").Value, detectors.Count, pageSize, pagingLoop, out var offset, out var next))
        {
            return (400, Error("BadRequestException", "The request is rejected because the nextToken is invalid."));
        }

        var response = new JsonObject { ["detectorIds"] = new JsonArray(detectors.Skip(offset).Take(pageSize).Select(id => (JsonNode?)JsonValue.Create(id)).ToArray()) };
        if (next is not null)
        {
            response["nextToken"] = next;
        }

        return (200, response);
    }

    private (int, JsonObject) GetDetector(string detectorId) =>
        State.GetDetector(detectorId) is { } detector
            ? (200, detector)
            : (400, Error("BadRequestException", "The request is rejected because the input detectorId is not owned by the current account."));

    private (int, JsonObject) DescribeCluster(string clusterName) =>
        State.GetCluster(clusterName) is { } cluster
            ? (200, new JsonObject { ["cluster"] = cluster })
            : (404, Error("ResourceNotFoundException", $"No cluster found for name: {clusterName}.", ("clusterName", clusterName)));

    private (int, JsonObject) ListCoverage(string detectorId, JsonNode input, bool pagingLoop)
    {
        if (!State.HasDetector(detectorId))
        {
            return (400, Error("BadRequestException", "The request is rejected because the input detectorId is not owned by the current account."));
        }

        var resources = CoverageQuery.Sort(CoverageQuery.Filter(State.Coverage(detectorId), input["filterCriteria"]), input["sortCriteria"]);
        var pageSize = (int?)input["maxResults"] ?? 50;
        if (!TryPage(input, (string?)input["nextToken"], resources.Count, pageSize, pagingLoop, out var offset, out var next))
        {
            return (400, Error("BadRequestException", "The request is rejected because the nextToken is invalid."));
        }

        var response = new JsonObject { ["resources"] = new JsonArray(resources.Skip(offset).Take(pageSize).Select(r => (JsonNode)r).ToArray()) };
        if (next is not null)
        {
            response["nextToken"] = next;
        }

        return (200, response);
    }

    private (int, JsonObject) GetCoverageStatistics(string detectorId, JsonNode input)
    {
        if (!State.HasDetector(detectorId))
        {
            return (400, Error("BadRequestException", "The request is rejected because the input detectorId is not owned by the current account."));
        }

        var resources = CoverageQuery.Filter(State.Coverage(detectorId), input["filterCriteria"]).ToList();
        var types = input["statisticsType"]!.AsArray().Select(t => (string)t!);
        return (200, new JsonObject { ["coverageStatistics"] = CoverageQuery.Statistics(resources, types) });
    }

    private (int, JsonObject) DescribeAddon(string cluster, string addonName)
    {
        if (!State.HasCluster(cluster))
        {
            return (404, Error("ResourceNotFoundException", $"No cluster found for name: {cluster}.", ("clusterName", cluster)));
        }

        return State.Addon(cluster, addonName) is { } addon
            ? (200, new JsonObject { ["addon"] = addon })
            : (404, Error("ResourceNotFoundException", $"No addon: {addonName} found in cluster: {cluster}", ("clusterName", cluster), ("addonName", addonName)));
    }

    private (int, JsonObject) DescribeAddonVersions(IReadOnlyList<KeyValuePair<string, string>> query, bool pagingLoop)
    {
        string? Single(string name) => query.FirstOrDefault(p => p.Key == name).Value;
        HashSet<string>? Many(string name) => query.Any(p => p.Key == name) ? query.Where(p => p.Key == name).Select(p => p.Value).ToHashSet(StringComparer.Ordinal) : null;
        var addonName = Single("addonName");
        var kubernetesVersion = Single("kubernetesVersion");
        var types = Many("types");
        var publishers = Many("publishers");
        var owners = Many("owners");
        var addons = new List<JsonObject>();
        foreach (var info in State.AddonCatalog())
        {
            if ((addonName is not null && (string?)info["addonName"] != addonName)
                || (types is not null && !types.Contains((string?)info["type"] ?? ""))
                || (publishers is not null && !publishers.Contains((string?)info["publisher"] ?? ""))
                || (owners is not null && !owners.Contains((string?)info["owner"] ?? "")))
            {
                continue;
            }

            if (kubernetesVersion is not null)
            {
                var versions = info["addonVersions"]!.AsArray()
                    .Where(v => v!["compatibilities"]!.AsArray().Any(c => (string?)c!["clusterVersion"] == kubernetesVersion))
                    .Select(v => v!.DeepClone())
                    .ToArray();
                if (versions.Length == 0)
                {
                    continue;
                }

                info["addonVersions"] = new JsonArray(versions);
            }

            addons.Add(info);
        }

        if (addonName is not null && addons.Count == 0 && !State.AddonCatalog().Any(a => (string?)a["addonName"] == addonName))
        {
            return (404, Error("ResourceNotFoundException", $"Addon {addonName} not found", ("addonName", addonName)));
        }

        var pageSize = int.TryParse(Single("maxResults"), NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : 100;
        var fingerprint = new JsonObject(query.Where(p => p.Key != "nextToken").GroupBy(p => p.Key).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => KeyValuePair.Create(g.Key, (JsonNode?)string.Join(",", g.Select(p => p.Value)))));
        if (!TryPage(fingerprint, Single("nextToken"), addons.Count, pageSize, pagingLoop, out var offset, out var next))
        {
            return (400, Error("InvalidParameterException", "The nextToken is invalid."));
        }

        var response = new JsonObject { ["addons"] = new JsonArray(addons.Skip(offset).Take(pageSize).Select(a => (JsonNode)a).ToArray()) };
        if (next is not null)
        {
            response["nextToken"] = next;
        }

        return (200, response);
    }

    private (int, JsonObject) UpdateAddon(string cluster, string addonName, JsonNode input)
    {
        if (!State.HasCluster(cluster))
        {
            return (404, Error("ResourceNotFoundException", $"No cluster found for name: {cluster}.", ("clusterName", cluster)));
        }

        var addon = State.Addon(cluster, addonName);
        if (addon is null)
        {
            return (404, Error("ResourceNotFoundException", $"No addon: {addonName} found in cluster: {cluster}", ("clusterName", cluster), ("addonName", addonName)));
        }

        var version = (string?)input["addonVersion"];
        if (version is not null && !State.AddonCatalog().Any(a => (string?)a["addonName"] == addonName
                && a["addonVersions"]!.AsArray().Any(v => (string?)v!["addonVersion"] == version)))
        {
            return (400, Error("InvalidParameterException", $"Addon version specified is not supported: {version}", ("clusterName", cluster), ("addonName", addonName)));
        }

        if ((string?)addon["status"] is "CREATING" or "DELETING" or "UPDATING")
        {
            return (409, Error("ResourceInUseException", $"Addon {addonName} is {(string?)addon["status"]}", ("clusterName", cluster), ("addonName", addonName)));
        }

        var update = State.ApplyUpdate(
            cluster, addonName, (string?)input["clientRequestToken"], version, (string?)input["resolveConflicts"], LocalAwsState.Epoch(_time.GetUtcNow()));
        return (200, new JsonObject { ["update"] = update });
    }

    /// <summary>
    /// Tokens are opaque to clients: the offset plus a fingerprint of the request they belong to, so a token replayed
    /// with other parameters is refused like AWS does. A paging-loop fault answers with the first page's token forever.
    /// </summary>
    private static bool TryPage(JsonNode request, string? token, int total, int pageSize, bool pagingLoop, out int offset, out string? next)
    {
        var fingerprint = Fingerprint(request);
        offset = 0;
        next = null;
        if (token is not null)
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            }
            catch (FormatException)
            {
                return false;
            }

            var parts = decoded.Split(':');
            if (parts.Length != 2 || parts[1] != fingerprint || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out offset) || offset > total)
            {
                return false;
            }
        }

        if (pagingLoop)
        {
            next = Token(Math.Min(pageSize, total), fingerprint);
            return true;
        }

        if (offset + pageSize < total)
        {
            next = Token(offset + pageSize, fingerprint);
        }

        return true;
    }

    private static string Token(int offset, string fingerprint) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{offset.ToString(CultureInfo.InvariantCulture)}:{fingerprint}"));

    private static string Fingerprint(JsonNode request)
    {
        var copy = request.DeepClone().AsObject();
        copy.Remove("nextToken");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(copy.ToJsonString(Compact))))[..16];
    }

    private static JsonObject Error(string code, string message, params (string Name, string Value)[] members)
    {
        var error = new JsonObject { ["__code"] = code, ["message"] = message };
        foreach (var (name, value) in members)
        {
            error[name] = value;
        }

        return error;
    }

    private async Task WriteErrorAsync(HttpContext context, ServiceModel? model, int status, string code, string message, JsonObject? members = null, bool codeInBody = false)
    {
        var body = new JsonObject();
        foreach (var (name, value) in members ?? [])
        {
            if (name != "__code")
            {
                body[name] = value?.DeepClone();
            }
        }

        body["message"] = message;
        var service = model?.SigningName ?? "unknown";
        if (codeInBody)
        {
            body["__type"] = $"com.amazonaws.{service}#{code}";
        }
        else
        {
            context.Response.Headers["x-amzn-ErrorType"] = $"{code}:http://internal.amazon.com/coral/com.amazonaws.{service}/";
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
        await context.Response.WriteAsync(body.ToJsonString(Compact), context.RequestAborted).ConfigureAwait(false);
    }

    private static List<KeyValuePair<string, string>> ParseQuery(string rawQuery) =>
        rawQuery.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair =>
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                var key = equals < 0 ? pair : pair[..equals];
                var value = equals < 0 ? "" : pair[(equals + 1)..];
                return KeyValuePair.Create(Uri.UnescapeDataString(key.Replace('+', ' ')), Uri.UnescapeDataString(value.Replace('+', ' ')));
            })
            .ToList();
}
