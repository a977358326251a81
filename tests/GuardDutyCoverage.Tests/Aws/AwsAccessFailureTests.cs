using System.Net;
using Amazon.Runtime;
using GuardDutyCoverage.Api;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Controller;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Tests.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using DiagnosisSnapshots = GuardDutyCoverage.Tests.Diagnosis.SnapshotBuilder;

namespace GuardDutyCoverage.Tests.Aws;

/// <summary>
/// A missing or rejected AWS identity (the most common first run) gets its own reason code and one sentence with the
/// fix; the SDK's exception chain goes to the debug log only, never into a status.
/// </summary>
public sealed class AwsAccessFailureTests
{
    /// <summary>What AWSSDK.Core's default chain says when it finds nothing (abridged, same shape: many lines).</summary>
    private const string SdkChainText =
        "Failed to resolve AWS credentials. The credential providers used to search for credentials returned the following errors:\n"
        + "Exception 1 of 4: The environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN were not populated with values.\n"
        + "Exception 2 of 4: The webIdentityTokenFile must be an absolute path. (Parameter 'webIdentityTokenFile')\n"
        + "Exception 3 of 4: Unable to retrieve credentials from container endpoint.\n"
        + "Exception 4 of 4: Failed to connect to EC2 instance metadata to retrieve credentials.";

    private const string DeniedMessage =
        "User: arn:aws:sts::111122223333:assumed-role/guardduty-coverage-operator/botocore-session-1 is not authorized to perform: guardduty:ListCoverage on resource: arn:aws:guardduty:us-east-1:111122223333:detector/12abc34d567e8fa901bc2d34e56789f0 because no identity-based policy allows the guardduty:ListCoverage action";

    private static AwsServiceException Denied() =>
        new("GuardDuty", "ListCoverage", "AccessDeniedException", DeniedMessage, HttpStatusCode.Forbidden, "req-1");

    [Fact]
    public async Task NoCredentialsIsOneSentenceWithTheFixAndKeepsTheSdkTextForTheLog()
    {
        using var source = AwsCredentialsSource.FromResolver(_ => throw new AmazonClientException(SdkChainText));
        var failure = await Assert.ThrowsAsync<AwsConfigurationException>(() => source.GetAsync(default));

        Assert.Equal(AwsFailureKind.CredentialsMissing, failure.Kind);
        Assert.Equal(AwsFailures.CredentialsMissingMessage, failure.Message);
        Assert.DoesNotContain("Exception 1 of 4", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', failure.Message);
        Assert.Contains("eks.amazonaws.com/role-arn", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Pod Identity", failure.Message, StringComparison.Ordinal);
        Assert.Contains("docs/aws-access.md", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Exception 1 of 4", failure.InnerException!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AccessDeniedNamesTheActionAndTheRoleAwsRefused()
    {
        var denied = Denied();
        Assert.Equal(AwsFailureKind.AccessDenied, denied.Kind);
        Assert.Equal("guardduty:ListCoverage", denied.IamAction);
        Assert.Equal("arn:aws:sts::111122223333:assumed-role/guardduty-coverage-operator/botocore-session-1", denied.DeniedPrincipal);
        Assert.Equal(
            "AWS denied guardduty:ListCoverage to arn:aws:sts::111122223333:assumed-role/guardduty-coverage-operator/botocore-session-1: allow guardduty:ListCoverage in that role's policy (the full policy is in docs/aws-access.md).",
            AwsFailures.StatusMessage(denied));

        // EC2's code for the same thing, without a principal in the text: the caller identity from STS fills in.
        var ec2 = new AwsServiceException("EC2", "DescribeVpcEndpoints", "UnauthorizedOperation", "You are not authorized to perform this operation.", HttpStatusCode.Forbidden, null);
        Assert.Equal(AwsFailureKind.AccessDenied, ec2.Kind);
        Assert.Null(ec2.DeniedPrincipal);
        Assert.Contains("ec2:DescribeVpcEndpoints to arn:aws:sts::111122223333:assumed-role/r/s", AwsFailures.StatusMessage(ec2, "arn:aws:sts::111122223333:assumed-role/r/s"), StringComparison.Ordinal);
        Assert.Contains("to the operator's IAM role", AwsFailures.StatusMessage(ec2), StringComparison.Ordinal);
    }

    [Fact]
    public void RejectedCredentialsAreAccessDeniedWithTheSetUpToCheck()
    {
        var rejected = new AwsServiceException("GuardDuty", "ListCoverage", "UnrecognizedClientException", "The security token included in the request is invalid.", HttpStatusCode.Forbidden, null);
        Assert.Equal(AwsFailureKind.AccessDenied, rejected.Kind);
        Assert.Equal(
            "AWS rejected the operator's credentials for guardduty:ListCoverage (UnrecognizedClientException): check the IRSA role-arn annotation or the Pod Identity association of its ServiceAccount, then restart the operator pod.",
            AwsFailures.StatusMessage(rejected));
    }

    [Theory]
    [InlineData("ThrottlingException", HttpStatusCode.BadRequest)]
    [InlineData("InternalServerErrorException", HttpStatusCode.InternalServerError)]
    [InlineData(AwsServiceException.LocalCodes.NetworkError, null)]
    public void OtherFailuresKeepTheirOwnLine(string code, HttpStatusCode? status)
    {
        var other = new AwsServiceException("GuardDuty", "ListCoverage", code, "something", status, null);
        Assert.Equal(AwsFailureKind.Other, other.Kind);
        Assert.Equal(other.Message, AwsFailures.StatusMessage(other));
        Assert.Equal(AwsFailureKind.Other, new AwsConfigurationException("no AWS Region: ...").Kind);
    }

    [Fact]
    public async Task ThePollerRecordsTheKindAndLogsTheSdkTextAtDebugOnly()
    {
        var aws = new FakeAws();
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero));
        var logger = new ListLogger();
        var poller = new CoveragePoller(aws, new AwsRegionResolver(n => n == "AWS_REGION" ? "us-east-1" : null, null), clock, new CoveragePollerOptions { Jitter = () => 0 })
        {
            Logger = logger,
        };
        var noCredentials = new AwsConfigurationException(AwsFailures.CredentialsMissingMessage, new AmazonClientException(SdkChainText), AwsFailureKind.CredentialsMissing);
        foreach (var operation in new[] { "GetCallerIdentity", "ListDetectors", "DescribeCluster", "DescribeAddon" })
        {
            aws.Fail(operation, noCredentials, times: 10);
        }

        poller.Register(new CoverageInterest("offline", "prod-1", null, null, null, AwsEndpointOverrides.None, TimeSpan.FromMinutes(5)));
        await poller.PollDueAsync(default);
        var snapshot = poller.Snapshot("offline")!;

        foreach (var observation in new (string? Error, AwsFailureKind Kind)[]
                 {
                     (snapshot.Coverage!.Error, snapshot.Coverage.FailureKind), (snapshot.Detector!.Error, snapshot.Detector.FailureKind),
                     (snapshot.Addon!.Error, snapshot.Addon.FailureKind), (snapshot.Cluster!.Error, snapshot.Cluster.FailureKind),
                 })
        {
            Assert.Equal(AwsFailures.CredentialsMissingMessage, observation.Error);
            Assert.Equal(AwsFailureKind.CredentialsMissing, observation.Kind);
        }

        var debug = logger.Entries.Where(e => e.Level == LogLevel.Debug).ToList();
        Assert.NotEmpty(debug);
        Assert.Contains(debug, e => e.Exception?.InnerException?.Message.Contains("Exception 1 of 4", StringComparison.Ordinal) == true);
        Assert.DoesNotContain(logger.Entries, e => e.Level > LogLevel.Debug);
    }

    [Fact]
    public void NoCredentialsWithAHealthyClusterIsReadyUnknownWithItsOwnReasonInEveryAwsCondition()
    {
        var builder = new DiagnosisSnapshots();
        var snapshot = builder.Build();
        var failed = AwsFailures.CredentialsMissingMessage;
        snapshot = snapshot with
        {
            Aws = snapshot.Aws! with
            {
                Coverage = AwsObservation<CoverageResource>.Failure(failed, AwsFailureKind.CredentialsMissing),
                Detector = AwsObservation<GetDetectorResponse>.Failure(failed, AwsFailureKind.CredentialsMissing),
                Addon = AwsObservation<EksAddon>.Failure(failed, AwsFailureKind.CredentialsMissing),
                Cluster = AwsObservation<EksCluster>.Failure(failed, AwsFailureKind.CredentialsMissing),
                VpcDns = AwsObservation<VpcDnsAttributes>.Failure(failed, AwsFailureKind.CredentialsMissing),
                GuardDutyDataEndpoints = null,
                AddonVersions = null,
            },
        };

        var report = DiagnosisEngine.Diagnose(snapshot);
        Assert.Equal(Verdicts.Unknown, report.Coverage);
        Assert.Equal(ConditionStatus.Unknown, report.Readiness.Ready);
        Assert.Equal(AwsAccessReasons.AwsCredentialsMissing, report.Readiness.Reason);
        Assert.Equal(failed, report.Readiness.Message);
        foreach (var type in new[] { CheckTypes.GuardDutyCovered, CheckTypes.EksAddonHealthy, CheckTypes.NetworkReady })
        {
            var check = Assert.Single(report.Checks, c => c.Type == type);
            Assert.Equal(ConditionStatus.Unknown, check.Status);
            Assert.Equal(AwsAccessReasons.AwsCredentialsMissing, check.Reason);
        }

        var status = StatusComposer.FromReport(report, null, 1, DiagnosisSnapshots.Now);
        Assert.All(status.Conditions!, c => Assert.DoesNotContain("Exception 1 of", c.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void ADeniedActionWithAHealthyClusterIsAwsAccessDeniedNamingTheActionAndRole()
    {
        var builder = new DiagnosisSnapshots { CoverageObservation = AwsObservation<CoverageResource>.Failure(AwsFailures.StatusMessage(Denied()), AwsFailureKind.AccessDenied) };
        var report = builder.Diagnose();
        Assert.Equal(ConditionStatus.Unknown, report.Readiness.Ready);
        Assert.Equal(AwsAccessReasons.AwsAccessDenied, report.Readiness.Reason);
        Assert.Contains("guardduty:ListCoverage", report.Readiness.Message, StringComparison.Ordinal);
        Assert.Contains("assumed-role/guardduty-coverage-operator", report.Readiness.Message, StringComparison.Ordinal);
        Assert.Equal(AwsAccessReasons.AwsAccessDenied, Assert.Single(report.Checks, c => c.Type == CheckTypes.GuardDutyCovered).Reason);
        // The add-on was read fine: its condition is unaffected.
        Assert.Equal("AddonActive", Assert.Single(report.Checks, c => c.Type == CheckTypes.EksAddonHealthy).Reason);
    }

    [Fact]
    public void AnUnhealthyClusterStillSaysItsOwnCauseFirst()
    {
        var builder = new DiagnosisSnapshots
        {
            PriorityClass = null,
            CoverageObservation = AwsObservation<CoverageResource>.Failure(AwsFailures.CredentialsMissingMessage, AwsFailureKind.CredentialsMissing),
        };
        var report = builder.Diagnose();
        Assert.Equal(ConditionStatus.False, report.Readiness.Ready);
        Assert.Equal(ReasonCodes.PriorityClassMissing, report.Readiness.Reason);
        Assert.Equal(AwsAccessReasons.AwsCredentialsMissing, Assert.Single(report.Checks, c => c.Type == CheckTypes.GuardDutyCovered).Reason);
    }
}
