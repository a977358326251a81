using System.Net;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Aws.Model;
using GuardDutyCoverage.Sandbox.Aws;
using Microsoft.Extensions.Time.Testing;

namespace GuardDutyCoverage.Tests.Aws;

/// <summary>How the clients behave when AWS misbehaves: errors, throttling, 5xx, slow answers, dropped connections, paging loops.</summary>
public sealed class ClientFaultTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AccessDeniedIsSurfacedAtOnceWithOperationCodeMessageStatusAndRequestId()
    {
        await using var aws = await LocalAws.StartAsync();
        aws.State.InjectFault(AwsFault.Error("ListCoverage", 403, "AccessDeniedException",
            "User: arn:aws:sts::111122223333:assumed-role/op/x is not authorized to perform: guardduty:ListCoverage"));
        var waits = new List<TimeSpan>();
        var error = await Assert.ThrowsAsync<AwsServiceException>(() =>
            aws.GuardDuty(LocalAws.FastRetry(waits)).ListCoverageAsync(LocalAws.DetectorId, new ListCoverageRequest(), default));
        Assert.Equal(
            "GuardDuty ListCoverage: AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/op/x is not authorized to perform: guardduty:ListCoverage",
            error.Message);
        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
        Assert.False(string.IsNullOrEmpty(error.RequestId));
        Assert.Equal("ListCoverage", error.Operation);
        Assert.Empty(waits);
        Assert.Equal(1, aws.State.CountRequests("ListCoverage"));
    }

    [Fact]
    public async Task BadRequestIsNotRetried()
    {
        await using var aws = await LocalAws.StartAsync();
        var error = await Assert.ThrowsAsync<AwsServiceException>(() =>
            aws.GuardDuty().ListCoverageAsync("0000000000000000000000000000dead", new ListCoverageRequest(), default));
        Assert.Equal("BadRequestException", error.ErrorCode);
        Assert.Contains("not owned by the current account", error.Message);
        Assert.Equal(1, aws.State.CountRequests("ListCoverage"));
    }

    [Fact]
    public async Task ThrottlingIsRetriedWithGrowingJitteredBackoffThenSurfaced()
    {
        await using var aws = await LocalAws.StartAsync();
        aws.State.InjectFault(AwsFault.Throttle("ListCoverage", times: 2));
        var waits = new List<TimeSpan>();
        var page = await aws.GuardDuty(LocalAws.FastRetry(waits, attempts: 4)).ListCoverageAsync(LocalAws.DetectorId, new ListCoverageRequest(), default);
        Assert.Empty(page.Resources);
        Assert.Equal(3, aws.State.CountRequests("ListCoverage"));
        Assert.Equal([TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200)], waits);

        aws.State.InjectFault(AwsFault.Throttle("ListCoverage", times: 10));
        waits.Clear();
        var error = await Assert.ThrowsAsync<AwsServiceException>(() =>
            aws.GuardDuty(LocalAws.FastRetry(waits, attempts: 4)).ListCoverageAsync(LocalAws.DetectorId, new ListCoverageRequest(), default));
        Assert.Equal("TooManyRequestsException", error.ErrorCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, error.StatusCode);
        Assert.Contains("(after 4 attempts)", error.Message);
        Assert.Equal(3, waits.Count);
        Assert.Equal(7, aws.State.CountRequests("ListCoverage"));
    }

    [Fact]
    public async Task ServerErrorsAreRetriedAndTheErrorCodeCanComeFromTheBody()
    {
        await using var aws = await LocalAws.StartAsync();
        aws.State.InjectFault(AwsFault.Error("DescribeAddon", 500, "ServerException", "oops"));
        aws.State.PutAddon(LocalAwsState.GuardDutyAddon("prod-1"));
        var addon = await aws.Eks().DescribeAddonAsync("prod-1", "aws-guardduty-agent", default);
        Assert.True(addon.Found);
        Assert.Equal(2, aws.State.CountRequests("DescribeAddon"));

        aws.State.InjectFault(new AwsFault(AwsFaultKind.Error, "DescribeAddon", 3, 503, "ServiceUnavailableException", "try later", CodeInBody: true));
        var error = await Assert.ThrowsAsync<AwsServiceException>(() => aws.Eks().DescribeAddonAsync("prod-1", "aws-guardduty-agent", default));
        Assert.Equal("ServiceUnavailableException", error.ErrorCode);
        Assert.Equal("EKS DescribeAddon: ServiceUnavailableException: try later (after 3 attempts)", error.Message);
    }

    [Fact]
    public async Task ASlowAnswerTimesOutPerAttemptOnTheClientsClock()
    {
        await using var aws = await LocalAws.StartAsync();
        aws.State.InjectFault(new AwsFault(AwsFaultKind.Hang, "ListCoverage", Times: 2));
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var retry = LocalAws.FastRetry(attempts: 2) with { AttemptTimeout = TimeSpan.FromSeconds(10) };
        var call = aws.GuardDuty(retry, clock).ListCoverageAsync(LocalAws.DetectorId, new ListCoverageRequest(), default);
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var arrived = await aws.Server.Arrivals.ReadAsync().AsTask().WaitAsync(Generous);
            Assert.Equal("ListCoverage", arrived.Operation);
            Assert.False(call.IsCompleted);
            clock.Advance(TimeSpan.FromSeconds(10));
        }

        var error = await Assert.ThrowsAsync<AwsServiceException>(() => call.WaitAsync(Generous));
        Assert.Equal(AwsServiceException.LocalCodes.Timeout, error.ErrorCode);
        Assert.Null(error.StatusCode);
        Assert.Contains("no response from 127.0.0.1", error.Message);
        Assert.Contains("within 10s (after 2 attempts)", error.Message);
    }

    [Fact]
    public async Task CancellationIsHonouredAndNotRetried()
    {
        await using var aws = await LocalAws.StartAsync();
        aws.State.InjectFault(new AwsFault(AwsFaultKind.Hang, "ListCoverage", Times: 5));
        using var cancel = new CancellationTokenSource();
        var call = aws.GuardDuty().ListCoverageAsync(LocalAws.DetectorId, new ListCoverageRequest(), cancel.Token);
        await aws.Server.Arrivals.ReadAsync().AsTask().WaitAsync(Generous);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(Generous));
        Assert.Equal(1, aws.State.CountRequests("ListCoverage"));
    }

    [Fact]
    public async Task DroppedConnectionsAreRetriedThenReportedAsNetworkErrors()
    {
        await using var aws = await LocalAws.StartAsync();
        aws.State.InjectFault(new AwsFault(AwsFaultKind.DropConnection, "ListCoverage"));
        var page = await aws.GuardDuty().ListCoverageAsync(LocalAws.DetectorId, new ListCoverageRequest(), default);
        Assert.Empty(page.Resources);
        Assert.Equal(2, aws.State.CountRequests("ListCoverage"));

        aws.State.InjectFault(new AwsFault(AwsFaultKind.DropConnection, "ListCoverage", Times: 3));
        var error = await Assert.ThrowsAsync<AwsServiceException>(() =>
            aws.GuardDuty().ListCoverageAsync(LocalAws.DetectorId, new ListCoverageRequest(), default));
        Assert.Equal(AwsServiceException.LocalCodes.NetworkError, error.ErrorCode);
        Assert.StartsWith("GuardDuty ListCoverage: NetworkError: ", error.Message);
    }

    [Fact]
    public async Task NoRouteToAwsIsANetworkErrorNotACrash()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var http = new HttpClient();
        var client = new GuardDutyClient(new AwsRestJsonClient(
            http, new AwsServiceEndpoint(AwsService.GuardDuty, LocalAws.Region, new Uri($"http://127.0.0.1:{port}")),
            AwsCredentialsSource.Static(LocalAws.TestCredentials), LocalAws.FastRetry(attempts: 2), TimeProvider.System));
        var error = await Assert.ThrowsAsync<AwsServiceException>(() => client.ListDetectorsAsync(null, null, default));
        Assert.Equal(AwsServiceException.LocalCodes.NetworkError, error.ErrorCode);
    }

    [Fact]
    public async Task APagingLoopEndsWithAnErrorInsteadOfLooping()
    {
        await using var aws = await LocalAws.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            aws.State.PutCoverage(LocalAwsState.EksCoverage(LocalAws.DetectorId, LocalAws.AccountId, $"c-{i}", "HEALTHY"));
        }

        aws.State.InjectFault(new AwsFault(AwsFaultKind.PagingLoop, "ListCoverage", Times: 100));
        var error = await Assert.ThrowsAsync<AwsServiceException>(() =>
            aws.GuardDuty().ListAllCoverageAsync(LocalAws.DetectorId, new ListCoverageRequest { MaxResults = 1 }, null, default));
        Assert.Equal(AwsServiceException.LocalCodes.PagingLoop, error.ErrorCode);
        Assert.Contains("returned nextToken", error.Message);
        Assert.Equal(2, aws.State.CountRequests("ListCoverage"));

        aws.State.AddAddonInfo(LocalAwsState.AddonInfo("a", "t", ("v1", ["1.31"])));
        aws.State.AddAddonInfo(LocalAwsState.AddonInfo("b", "t", ("v1", ["1.31"])));
        aws.State.InjectFault(new AwsFault(AwsFaultKind.PagingLoop, "DescribeAddonVersions", Times: 100));
        var eksError = await Assert.ThrowsAsync<AwsServiceException>(() =>
            aws.Eks().DescribeAllAddonVersionsAsync(new DescribeAddonVersionsRequest { MaxResults = 1 }, default));
        Assert.Equal("EKS", eksError.Service);
        Assert.Equal(AwsServiceException.LocalCodes.PagingLoop, eksError.ErrorCode);
    }

    [Theory]
    [InlineData("BadRequestException:http://internal.amazon.com/coral/com.amazonaws.guardduty/", """{"message":"m"}""", "BadRequestException", "m")]
    [InlineData(null, """{"__type":"com.amazonaws.eks#ResourceNotFoundException","message":"No cluster"}""", "ResourceNotFoundException", "No cluster")]
    [InlineData(null, """{"code":"AccessDeniedException","Message":"denied"}""", "AccessDeniedException", "denied")]
    [InlineData(null, """{"Code":"Throttling","__type":"ignored#X"}""", "Throttling", null)]
    [InlineData("ThrottlingException", """{"__type":"x#Other"}""", "ThrottlingException", null)]
    [InlineData(null, "<html>bad gateway</html>", null, null)]
    [InlineData(null, "", null, null)]
    [InlineData(null, """{"__type":"T\uD800&","message":"m"}""", null, null)]
    [InlineData("Throttling", """{"message":"\uDC00"}""", "Throttling", null)]
    public void ErrorsAreDecodedLikeBotocore(string? header, string body, string? code, string? message)
    {
        var (decodedCode, decodedMessage) = AwsRestJsonClient.ParseError(header, System.Text.Encoding.UTF8.GetBytes(body));
        Assert.Equal(code, decodedCode);
        Assert.Equal(message, decodedMessage);
    }

    [Fact]
    public async Task InvalidInputIsRejectedBeforeAnyRequest()
    {
        await using var aws = await LocalAws.StartAsync();
        var guardDuty = aws.GuardDuty();
        await Assert.ThrowsAsync<AwsConfigurationException>(() => guardDuty.ListCoverageAsync(LocalAws.DetectorId, new ListCoverageRequest { MaxResults = 51 }, default));
        await Assert.ThrowsAsync<AwsConfigurationException>(() => guardDuty.ListCoverageAsync(LocalAws.DetectorId, new ListCoverageRequest
        {
            SortCriteria = new CoverageSortCriteria { AttributeName = "NAME" },
        }, default));
        var badKey = await Assert.ThrowsAsync<AwsConfigurationException>(() => guardDuty.GetCoverageStatisticsAsync(LocalAws.DetectorId, new GetCoverageStatisticsRequest
        {
            StatisticsType = ["COUNT_BY_COVERAGE_STATUS"],
            FilterCriteria = new CoverageFilterCriteria { FilterCriterion = [new CoverageFilterCriterion { CriterionKey = "REGION" }] },
        }, default));
        Assert.Contains("ACCOUNT_ID, RESOURCE_TYPE", badKey.Message);
        await Assert.ThrowsAsync<AwsConfigurationException>(() => aws.Eks().DescribeAddonAsync("bad name", "aws-guardduty-agent", default));
        await Assert.ThrowsAsync<AwsConfigurationException>(() => aws.Eks().DescribeAddonVersionsAsync(new DescribeAddonVersionsRequest { MaxResults = 0 }, default));
        Assert.Empty(aws.State.Requests);
    }
}
