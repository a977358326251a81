
namespace GuardDutyCoverage.Diagnosis;

/// <summary>
/// Reasons for an operator that cannot see AWS because of its own identity, not because of the cluster: the Ready
/// condition (Unknown) and the AWS checks' conditions carry them instead of the generic <c>CoverageUnknown</c> /
/// <c>GuardDutyUnknown</c> / <c>ReadFailed</c>, so the first run without IRSA says what to do. They are not findings:
/// nothing is wrong with the cluster's coverage, the operator just cannot tell.
/// </summary>
public static class AwsAccessReasons
{
    /// <summary>The default credentials chain found no identity (no IRSA, no Pod Identity, no keys).</summary>
    public const string AwsCredentialsMissing = nameof(AwsCredentialsMissing);

    /// <summary>AWS refused an action to the operator's role, or did not accept its credentials.</summary>
    public const string AwsAccessDenied = nameof(AwsAccessDenied);

    public static string? For(AwsFailureKind kind) => kind switch
    {
        AwsFailureKind.CredentialsMissing => AwsCredentialsMissing,
        AwsFailureKind.AccessDenied => AwsAccessDenied,
        _ => null,
    };

    /// <summary>The first failed read of the snapshot caused by the operator's AWS identity: its reason and message.</summary>
    public static (string Reason, string Message)? First(AwsSnapshot? aws)
    {
        if (aws is null)
        {
            return null;
        }

        var failures = new (string? Error, AwsFailureKind Kind)[]
        {
            (aws.Coverage?.Error, aws.Coverage?.FailureKind ?? AwsFailureKind.Other),
            (aws.Detector?.Error, aws.Detector?.FailureKind ?? AwsFailureKind.Other),
            (aws.Cluster?.Error, aws.Cluster?.FailureKind ?? AwsFailureKind.Other),
            (aws.Addon?.Error, aws.Addon?.FailureKind ?? AwsFailureKind.Other),
            (aws.AddonVersions?.Error, aws.AddonVersions?.FailureKind ?? AwsFailureKind.Other),
            (aws.VpcDns?.Error, aws.VpcDns?.FailureKind ?? AwsFailureKind.Other),
            (aws.GuardDutyDataEndpoints?.Error, aws.GuardDutyDataEndpoints?.FailureKind ?? AwsFailureKind.Other),
        };

        // A missing identity explains every other failure, so it wins over a single denied action.
        foreach (var kind in new[] { AwsFailureKind.CredentialsMissing, AwsFailureKind.AccessDenied })
        {
            foreach (var (error, failureKind) in failures)
            {
                if (error is not null && failureKind == kind)
                {
                    return (For(kind)!, error);
                }
            }
        }

        return null;
    }
}
