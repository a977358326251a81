using System.Text.Json.Nodes;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Controller;
using GuardDutyCoverage.Runtime;
using GuardDutyCoverage.Sandbox.Aws;
using GuardDutyCoverage.Tests.Aws;
using GuardDutyCoverage.Util;

namespace GuardDutyCoverage.Tests.Integration;

/// <summary>
/// Issue 14's finding, reproduced: a GuardDutyCoverage whose <c>spec.endpoints</c> point at a host of the CR author's
/// choosing (here a loopback HTTP server that answers like GuardDuty and EKS) must not receive the operator's signed
/// requests. The operator runs with real AWS clients (SigV4, a session token) over HTTP; its own endpoints (operator
/// configuration, as AWS_ENDPOINT_URL would set them) are a second local server.
/// </summary>
public sealed class EndpointBoundaryTests
{
    private const string SessionToken = "operator-session-token-0123456789";

    private static readonly LocalAwsCredentials Credentials =
        new(LocalAwsServer.TestCredentials.AccessKeyId, LocalAwsServer.TestCredentials.SecretAccessKey, SessionToken);

    private static async Task<LocalAwsServer> StartAwsAsync()
    {
        var server = await LocalAwsServer.StartAsync(new LocalAwsServerOptions { ModelsDirectory = RepoPaths.TestData("aws-models"), Credentials = [Credentials] });
        server.State.AddDetector(LocalAws.DetectorId);
        server.State.PutCoverage(LocalAwsState.EksCoverage(LocalAws.DetectorId, LocalAws.AccountId, OperatorUnderTest.ClusterName, "HEALTHY"));
        server.State.PutCluster(LocalAwsState.Cluster(OperatorUnderTest.ClusterName));
        server.State.PutAddon(LocalAwsState.GuardDutyAddon(OperatorUnderTest.ClusterName));
        return server;
    }

    private static async Task<(OperatorUnderTest It, IDisposable Aws)> StartOperatorAsync(LocalAwsServer operatorsAws, OperatorOptions options)
    {
        var it = await OperatorUnderTest.StartAsync(startOperator: false);
        var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        var credentials = AwsCredentialsSource.Static(new AwsCredentialValues(Credentials.AccessKeyId, Credentials.SecretAccessKey, SessionToken));
        var factory = new AwsClientFactory(http, credentials, new AwsClientOptions { Retry = LocalAws.FastRetry(attempts: 1) });
        it.Start(options, settings => settings with { AwsClients = factory, AwsEndpoints = AwsEndpointOverrides.All(operatorsAws.Endpoint) });
        return (it, new Disposables(factory, credentials, http));
    }

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

    // The server records every request its GuardDuty and EKS models route; the second test shows these URLs are routed.
    private static Action<JsonObject> PointedAt(Uri endpoint) => spec => spec["endpoints"] = new JsonObject
    {
        ["guardDuty"] = endpoint.ToString(),
        ["eks"] = endpoint.ToString(),
    };

    [Fact]
    public async Task ACoverageWithItsOwnEndpointsSendsNoRequestAndIsStalled()
    {
        await using var operatorsAws = await StartAwsAsync();
        await using var authorsServer = await StartAwsAsync();
        var (it, aws) = await StartOperatorAsync(operatorsAws, new OperatorOptions());
        await using var _ = it;
        using var __ = aws;

        it.ApplyCoverage(spec: PointedAt(authorsServer.Endpoint));
        // A second, valid CR for the same cluster: once it is Ready, the poller has run a pass that would have
        // included the first one's endpoints.
        it.ApplyCoverage(name: "control");

        var stalled = await it.WaitForStatusAsync(s => s.Conditions.Find(ConditionTypes.Stalled)?.Reason == StatusComposer.EndpointNotAllowedReason, what: "Stalled with EndpointNotAllowed");
        await it.WaitForReadyAsync(ConditionStatus.True, name: "control");
        Assert.True(operatorsAws.State.CountRequests("ListCoverage") >= 1);

        Assert.Empty(authorsServer.State.Requests);
        var ready = stalled.Conditions.Find(ConditionTypes.Ready)!;
        Assert.Equal(ConditionStatus.False, ready.Status);
        Assert.Equal(StatusComposer.EndpointNotAllowedReason, ready.Reason);
        Assert.Contains("spec.endpoints.guardDuty", ready.Message);
        Assert.Contains("spec.endpoints.eks", ready.Message);
        Assert.Contains(AwsEndpointPolicy.Flag, ready.Message);
        Assert.Contains("no request is sent", ready.Message);
        Assert.Null(stalled.GuardDuty);
        Assert.Contains("spec.endpoints.guardDuty", await it.WaitForEventAsync(StatusComposer.EndpointNotAllowedReason));

        // Removing the override lets the CR converge through the operator's own endpoints.
        var removal = new JsonObject { ["spec"] = new JsonObject { ["endpoints"] = null } };
        await it.Api.PatchAsync(CoverageResources.Coverages, OperatorUnderTest.CoverageName, null, KubePatch.Merge(removal));
        await it.WaitForReadyAsync(ConditionStatus.True);
        Assert.Empty(authorsServer.State.Requests);
    }

    [Fact]
    public async Task AnOriginTheOperatorAllowsReceivesTheRequests()
    {
        await using var operatorsAws = await StartAwsAsync();
        await using var allowedServer = await StartAwsAsync();
        var allowed = OriginAllowList.Parse($"http://127.0.0.1:{allowedServer.Endpoint.Port}", AwsEndpointPolicy.Flag);
        var (it, aws) = await StartOperatorAsync(operatorsAws, new OperatorOptions { AllowedAwsEndpoints = allowed });
        await using var _ = it;
        using var __ = aws;

        it.ApplyCoverage(spec: PointedAt(allowedServer.Endpoint));
        await it.WaitForReadyAsync(ConditionStatus.True);

        // The allow-list is what the first test's "no request" depends on: with it, the CR's endpoints are used.
        // Status 200: the signature verified, so the operator's access key and session token reached this server.
        Assert.Contains(allowedServer.State.Requests, r => r.Operation == "ListCoverage" && r.Status == 200);
        Assert.Contains(allowedServer.State.Requests, r => r.Operation == "DescribeAddon" && r.Status == 200);
        Assert.Equal(0, operatorsAws.State.CountRequests("ListCoverage"));
    }
}
