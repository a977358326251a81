using Amazon.Runtime;
using Amazon.Runtime.Credentials;

namespace GuardDutyCoverage.Aws;

/// <summary>
/// Where AWS credentials come from. <see cref="DefaultChain"/> is AWSSDK.Core's default chain: environment variables,
/// web identity (IRSA), EKS Pod Identity / container credentials, shared profile, instance metadata. The provider found
/// is kept (it refreshes temporary credentials itself); a failed lookup is retried on the next call.
/// </summary>
public sealed class AwsCredentialsSource : IDisposable
{
    private readonly Func<CancellationToken, Task<AWSCredentials>> _resolve;
    private readonly IDisposable? _owned;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private AWSCredentials? _provider;

    private AwsCredentialsSource(Func<CancellationToken, Task<AWSCredentials>> resolve, IDisposable? owned)
    {
        _resolve = resolve;
        _owned = owned;
    }

    public static AwsCredentialsSource DefaultChain()
    {
        var resolver = new DefaultAWSCredentialsIdentityResolver();
        return new AwsCredentialsSource(ct => resolver.ResolveIdentityAsync(null, ct), resolver);
    }

    /// <summary>A chain given as a function (tests: a resolver that fails the way the SDK's does).</summary>
    internal static AwsCredentialsSource FromResolver(Func<CancellationToken, Task<AWSCredentials>> resolve) => new(resolve, null);

    public static AwsCredentialsSource Static(AwsCredentialValues values)
    {
        AWSCredentials provider = values.SessionToken is { Length: > 0 }
            ? new SessionAWSCredentials(values.AccessKeyId, values.SecretAccessKey, values.SessionToken)
            : new BasicAWSCredentials(values.AccessKeyId, values.SecretAccessKey);
        return new AwsCredentialsSource(_ => Task.FromResult(provider), null);
    }

    /// <summary>The AWSSDK credentials provider (for AWSSDK.SecurityToken and AWSSDK.EC2 clients).</summary>
    public async Task<AWSCredentials> GetProviderAsync(CancellationToken cancellationToken)
    {
        if (_provider is { } known)
        {
            return known;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_provider is null)
            {
                try
                {
                    _provider = await _resolve(cancellationToken).ConfigureAwait(false)
                        ?? throw NoCredentials(null);
                }
                catch (AmazonClientException e)
                {
                    throw NoCredentials(e);
                }
            }

            return _provider;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The current credentials (refreshed by the provider when they are temporary).</summary>
    public async Task<AwsCredentialValues> GetAsync(CancellationToken cancellationToken)
    {
        var provider = await GetProviderAsync(cancellationToken).ConfigureAwait(false);
        ImmutableCredentials credentials;
        try
        {
            credentials = await provider.GetCredentialsAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonClientException e)
        {
            throw NoCredentials(e);
        }

        return new AwsCredentialValues(credentials.AccessKey, credentials.SecretKey, credentials.UseToken ? credentials.Token : null);
    }

    public void Dispose()
    {
        _owned?.Dispose();
        _gate.Dispose();
    }

    /// <summary>
    /// The SDK's explanation ("Exception 1 of 4: ...") is many lines about every provider it tried: it stays in the
    /// inner exception for the debug log; the message says what to do.
    /// </summary>
    private static AwsConfigurationException NoCredentials(Exception? sdk) =>
        new(AwsFailures.CredentialsMissingMessage, sdk, AwsFailureKind.CredentialsMissing);
}
