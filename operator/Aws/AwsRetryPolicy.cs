using System.Net;

namespace GuardDutyCoverage.Aws;

/// <summary>
/// Bounded retries with "full jitter" exponential backoff (botocore's standard mode): throttling codes, HTTP 429 and
/// 5xx, request timeouts and connection errors are retried; everything else fails at once.
/// </summary>
public sealed record AwsRetryPolicy
{
    /// <summary>Attempts in all, the first included.</summary>
    public int MaxAttempts { get; init; } = 4;

    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How long one attempt may take, response body included.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Returns a number in [0, 1) for the jitter; tests make it fixed.</summary>
    public Func<double> Jitter { get; init; } = Random.Shared.NextDouble;

    /// <summary>Waits between attempts. Null: <see cref="Task.Delay(TimeSpan, TimeProvider, CancellationToken)"/> on the client's clock.</summary>
    public Func<TimeSpan, CancellationToken, Task>? Delay { get; init; }

    public static readonly IReadOnlySet<string> ThrottlingCodes = new HashSet<string>(StringComparer.Ordinal)
    {
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
        "ProvisionedThroughputExceededException", "TransactionInProgressException", "RequestLimitExceeded",
        "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
        "EC2ThrottledException",
    };

    public static readonly IReadOnlySet<string> TransientCodes = new HashSet<string>(StringComparer.Ordinal)
    {
        "RequestTimeout", "RequestTimeoutException", "InternalServerErrorException", "InternalFailure", "ServiceUnavailable",
        "ServiceUnavailableException", "ServerException", "IDPCommunicationError",
    };

    public bool IsRetryable(string errorCode, HttpStatusCode? status) =>
        ThrottlingCodes.Contains(errorCode)
        || TransientCodes.Contains(errorCode)
        || errorCode is AwsServiceException.LocalCodes.NetworkError or AwsServiceException.LocalCodes.Timeout
        || status is HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway
            or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    /// <summary>The wait before attempt <paramref name="nextAttempt"/> (2 for the first retry): random in [0, min(max, base·2^(n-2))).</summary>
    public TimeSpan Backoff(int nextAttempt)
    {
        var exponent = Math.Min(nextAttempt - 2, 30);
        var ceiling = Math.Min(MaxDelay.TotalMilliseconds, BaseDelay.TotalMilliseconds * Math.Pow(2, exponent));
        return TimeSpan.FromMilliseconds(ceiling * Jitter());
    }
}
