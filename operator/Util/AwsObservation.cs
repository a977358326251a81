namespace GuardDutyCoverage.Util;

/// <summary>
/// One AWS fact as last observed. Never blanked by a failure: after a failed refresh the previous value stays,
/// marked <see cref="Stale"/>, with the failure in <see cref="Error"/>.
/// </summary>
/// <param name="Value">The value from the latest successful read; null when never read or not found.</param>
/// <param name="Found">The latest successful read found the thing (false: read fine, but it does not exist).</param>
/// <param name="CheckedAt">When the latest successful read happened; null when none succeeded yet.</param>
/// <param name="Error">Why the latest attempt failed, e.g. "GuardDuty ListCoverage: AccessDeniedException: ..."; null after a success.</param>
/// <param name="Stale">True when the latest attempt failed and <paramref name="Value"/> is from an earlier read.</param>
public sealed record AwsObservation<T>(T? Value, bool Found, DateTimeOffset? CheckedAt, string? Error, bool Stale)
    where T : class
{
    /// <summary>What kind of failure <see cref="Error"/> is (a missing or rejected identity has its own reason code).</summary>
    public AwsFailureKind FailureKind { get; init; }

    public static AwsObservation<T> Success(T? value, DateTimeOffset now) => new(value, value is not null, now, null, false);

    public static AwsObservation<T> Failure(string error, AwsFailureKind kind = AwsFailureKind.Other) => new(null, false, null, error, false) { FailureKind = kind };

    /// <summary>Keeps what was known and records the failure.</summary>
    public AwsObservation<T> WithFailure(string error, AwsFailureKind kind = AwsFailureKind.Other) =>
        CheckedAt is null ? Failure(error, kind) : this with { Error = error, Stale = true, FailureKind = kind };

    public bool Succeeded => CheckedAt is not null;

    /// <summary>The same observation (found, when, error, staleness) of the value converted by <paramref name="convert"/>.</summary>
    public AwsObservation<TOut> Map<TOut>(Func<T, TOut> convert)
        where TOut : class =>
        new(Value is null ? null : convert(Value), Found, CheckedAt, Error, Stale) { FailureKind = FailureKind };
}

/// <summary>What kind of failure an AWS read met (AwsException.Kind in the Aws project), for the reason code people act on.</summary>
public enum AwsFailureKind
{
    /// <summary>Anything else: network, throttling after retries, a service error, no Region.</summary>
    Other,

    /// <summary>No AWS identity at all: the default credentials chain found nothing (no IRSA, no Pod Identity...).</summary>
    CredentialsMissing,

    /// <summary>AWS rejected the identity or refused the action (AccessDenied, an invalid or expired token).</summary>
    AccessDenied,
}
