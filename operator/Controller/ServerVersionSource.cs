using GuardDutyCoverage.Runtime;
using k8s.Models;

namespace GuardDutyCoverage.Controller;

/// <summary>The API server's <c>/version</c>, read at most every <see cref="RefreshAfter"/> (it changes only on upgrades).</summary>
public sealed class ServerVersionSource(KubeApiClient client, TimeProvider time)
{
    public static readonly TimeSpan RefreshAfter = TimeSpan.FromMinutes(10);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private (string? Version, DateTimeOffset At)? _cached;

    /// <summary>The gitVersion (e.g. v1.31.2-eks-1234), or null when it cannot be read (version checks then report Unknown).</summary>
    public async Task<string?> GetAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = time.GetUtcNow();
            if (_cached is { } cached && now - cached.At < RefreshAfter)
            {
                return cached.Version;
            }

            string? version;
            try
            {
                version = (await client.GetPathAsync("/version", KubeJson.TypeInfo<VersionInfo>(), cancellationToken).ConfigureAwait(false))?.GitVersion;
            }
            catch (Exception e) when (e is KubeApiException or HttpRequestException or TimeoutException)
            {
                // Keep the last known version rather than none: it only changes on upgrades.
                version = _cached?.Version;
            }

            _cached = (version, now);
            return version;
        }
        finally
        {
            _gate.Release();
        }
    }
}
