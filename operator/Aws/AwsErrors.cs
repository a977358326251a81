using System.Net;

namespace GuardDutyCoverage.Aws;

/// <summary>Any failure to get an answer from AWS. Its <see cref="Exception.Message"/> is one line fit for a status.</summary>
public abstract class AwsException : Exception
{
    protected AwsException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>
/// An AWS call that failed: an error response, a transport failure or an unusable answer. The message reads
/// <c>GuardDuty ListCoverage: AccessDeniedException: User ... is not authorized</c>.
/// </summary>
public sealed class AwsServiceException : AwsException
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

    private static string Format(string service, string operation, string code, string? message) =>
        string.IsNullOrWhiteSpace(message)
            ? $"{service} {operation}: {code}"
            : $"{service} {operation}: {code}: {OneLine(message)}";

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}

/// <summary>What is needed to call AWS is missing or wrong: no region, no credentials, a bad endpoint, bad input.</summary>
public sealed class AwsConfigurationException : AwsException
{
    public AwsConfigurationException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
