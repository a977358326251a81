using System.Net;
using System.Text.RegularExpressions;

namespace GuardDutyCoverage.Aws;

/// <summary>Any failure to get an answer from AWS. Its <see cref="Exception.Message"/> is one line fit for a status.</summary>
public abstract class AwsException : Exception
{
    protected AwsException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    public virtual AwsFailureKind Kind => AwsFailureKind.Other;
}

/// <summary>
/// An AWS call that failed: an error response, a transport failure or an unusable answer. The message reads
/// <c>GuardDuty ListCoverage: AccessDeniedException: User ... is not authorized</c>.
/// </summary>
public sealed partial class AwsServiceException : AwsException
{
    /// <summary>Codes that are not from the service but describe what happened on the way.</summary>
    public static class LocalCodes
    {
        public const string NetworkError = "NetworkError";
        public const string Timeout = "RequestTimeout";
        public const string InvalidResponse = "InvalidResponse";
        public const string PagingLoop = "PagingLoop";
    }

    public AwsServiceException(
        string service,
        string operation,
        string errorCode,
        string? errorMessage,
        HttpStatusCode? statusCode,
        string? requestId,
        Exception? inner = null)
        : base(Format(service, operation, errorCode, errorMessage), inner)
    {
        Service = service;
        Operation = operation;
        ErrorCode = errorCode;
        ErrorMessage = errorMessage;
        StatusCode = statusCode;
        RequestId = requestId;
    }

    /// <summary>The service as AWS names it: GuardDuty, EKS, STS, EC2.</summary>
    public string Service { get; }

    public string Operation { get; }

    /// <summary>The sanitized error code, for example AccessDeniedException; or one of <see cref="LocalCodes"/>.</summary>
    public string ErrorCode { get; }

    public string? ErrorMessage { get; }

    /// <summary>The HTTP status of the error response; null when no response arrived.</summary>
    public HttpStatusCode? StatusCode { get; }

    public string? RequestId { get; }

    public bool IsNotFound => ErrorCode is "ResourceNotFoundException" or "NotFoundException";

    /// <summary>Error codes by which AWS refuses the caller (IAM) or does not accept its credentials at all.</summary>
    private static readonly HashSet<string> AccessDeniedCodes = new(StringComparer.Ordinal)
    {
        "AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "UnauthorizedAccess", "AuthorizationError",
        "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredTokenException", "ExpiredToken",
        "InvalidSignatureException", "SignatureDoesNotMatch", "IncompleteSignature", "MissingAuthenticationToken",
    };

    public override AwsFailureKind Kind => AccessDeniedCodes.Contains(ErrorCode) ? AwsFailureKind.AccessDenied : AwsFailureKind.Other;

    /// <summary>The IAM action, as AWS names it in policies: <c>guardduty:ListCoverage</c>, <c>eks:DescribeAddon</c>.</summary>
    public string IamAction => Service.ToLowerInvariant() + ":" + Operation;

    /// <summary>
    /// The identity AWS says it refused, from the error message ("User: arn:aws:sts::...:assumed-role/r/s is not
    /// authorized to perform: ..."); null when the message does not name one (an invalid token names none).
    /// </summary>
    public string? DeniedPrincipal => ErrorMessage is { } text && PrincipalPattern().Match(text) is { Success: true } m ? m.Groups["arn"].Value : null;

    [GeneratedRegex(@"User: (?<arn>arn:aws[\w-]*:(?:sts|iam)::\d{12}:[\w+=,.@/-]+)", RegexOptions.CultureInvariant)]
    private static partial Regex PrincipalPattern();

    private static string Format(string service, string operation, string code, string? message) =>
        string.IsNullOrWhiteSpace(message)
            ? $"{service} {operation}: {code}"
            : $"{service} {operation}: {code}: {OneLine(message)}";

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}

/// <summary>What is needed to call AWS is missing or wrong: no region, no credentials, a bad endpoint, bad input.</summary>
public sealed class AwsConfigurationException : AwsException
{
    public AwsConfigurationException(string message, Exception? inner = null, AwsFailureKind kind = AwsFailureKind.Other)
        : base(message, inner)
    {
        Kind = kind;
    }

    public override AwsFailureKind Kind { get; }
}

/// <summary>
/// The one sentence a status shows for a failed AWS call. A missing or rejected identity gets a message with the fix
/// (the SDK's own exception chain is for the debug log, never for a status); anything else keeps its one-line message.
/// </summary>
public static class AwsFailures
{
    /// <summary>Where the IAM policy and the ServiceAccount set-up are documented.</summary>
    public const string AccessDoc = "docs/aws-access.md";

    public const string CredentialsMissingMessage =
        "No AWS credentials: annotate the operator's ServiceAccount with eks.amazonaws.com/role-arn (IRSA) or create an EKS Pod Identity association for it, then restart the operator pod; the IAM policy is in "
        + AccessDoc + ".";

    /// <param name="callerArn">The identity STS reported for the operator, if known; used when AWS's message names none.</param>
    public static string StatusMessage(AwsException failure, string? callerArn = null) => failure.Kind switch
    {
        AwsFailureKind.CredentialsMissing => CredentialsMissingMessage,
        AwsFailureKind.AccessDenied when failure is AwsServiceException service => Denied(service, callerArn),
        _ => failure.Message,
    };

    private static string Denied(AwsServiceException failure, string? callerArn)
    {
        var who = failure.DeniedPrincipal ?? callerArn;
        var rejected = failure.ErrorCode is not ("AccessDeniedException" or "AccessDenied" or "UnauthorizedOperation" or "UnauthorizedAccess" or "AuthorizationError");
        return rejected
            ? $"AWS rejected the operator's credentials for {failure.IamAction} ({failure.ErrorCode}){(who is null ? "" : $" as {who}")}: check the IRSA role-arn annotation or the Pod Identity association of its ServiceAccount, then restart the operator pod."
            : $"AWS denied {failure.IamAction} to {who ?? "the operator's IAM role"}: allow {failure.IamAction} in that role's policy (the full policy is in {AccessDoc}).";
    }
}
