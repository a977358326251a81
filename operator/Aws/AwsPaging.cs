using GuardDutyCoverage.Aws.Model;

namespace GuardDutyCoverage.Aws;

/// <summary>
/// Follows nextToken until the service stops returning one. A token the service already returned in this pass
/// (a paging loop) ends the pass with an error instead of looping; so does an absurd number of pages.
/// </summary>
internal sealed class PageTokenGuard(string service, string operation)
{
    public const int MaxPages = 10_000;

    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private int _pages;

    /// <summary>Returns the token to send next, or null when the pass is complete.</summary>
    public string? Next(string? returned)
    {
        _pages++;
        if (string.IsNullOrEmpty(returned))
        {
            return null;
        }

        if (!_seen.Add(returned))
        {
            throw new AwsServiceException(
                service, operation, AwsServiceException.LocalCodes.PagingLoop,
                $"the service returned nextToken \"{Shorten(returned)}\" again after {_pages} pages; stopped instead of looping", null, null);
        }

        if (_pages >= MaxPages)
        {
            throw new AwsServiceException(
                service, operation, AwsServiceException.LocalCodes.PagingLoop, $"still paging after {_pages} pages; stopped", null, null);
        }

        return returned;
    }

    private static string Shorten(string token) => token.Length <= 24 ? token : token[..24] + "…";
}

public static class GuardDutyPaging
{
    /// <summary>All detector IDs of the region (in practice zero or one).</summary>
    public static async Task<IReadOnlyList<string>> ListAllDetectorsAsync(this IGuardDutyClient client, CancellationToken cancellationToken)
    {
        var guard = new PageTokenGuard(AwsService.GuardDuty.Id, "ListDetectors");
        var all = new List<string>();
        string? token = null;
        do
        {
            var page = await client.ListDetectorsAsync(50, token, cancellationToken).ConfigureAwait(false);
            all.AddRange(page.DetectorIds ?? []); // absent on the wire: the source-generated contract leaves it null
            token = guard.Next(page.NextToken);
        }
        while (token is not null);
        return all;
    }

    /// <summary>
    /// Every page of ListCoverage for <paramref name="request"/> (its MaxResults is the page size, its NextToken the
    /// start). Stops early once <paramref name="maxItems"/> resources are collected.
    /// </summary>
    public static async Task<IReadOnlyList<CoverageResource>> ListAllCoverageAsync(
        this IGuardDutyClient client, string detectorId, ListCoverageRequest request, int? maxItems, CancellationToken cancellationToken)
    {
        if (maxItems is <= 0)
        {
            throw new AwsConfigurationException($"ListCoverage: invalid request: max items must be positive, not {maxItems}");
        }

        var guard = new PageTokenGuard(AwsService.GuardDuty.Id, "ListCoverage");
        var all = new List<CoverageResource>();
        var token = request.NextToken;
        do
        {
            var page = await client.ListCoverageAsync(detectorId, request with { NextToken = token }, cancellationToken).ConfigureAwait(false);
            all.AddRange(page.Resources ?? []); // absent on the wire: the source-generated contract leaves it null
            if (maxItems is { } limit && all.Count >= limit)
            {
                all.RemoveRange(limit, all.Count - limit);
                break;
            }

            token = guard.Next(page.NextToken);
        }
        while (token is not null);
        return all;
    }
}

public static class EksPaging
{
    /// <summary>Every page of DescribeAddonVersions for <paramref name="request"/>.</summary>
    public static async Task<IReadOnlyList<AddonInfo>> DescribeAllAddonVersionsAsync(
        this IEksClient client, DescribeAddonVersionsRequest request, CancellationToken cancellationToken)
    {
        var guard = new PageTokenGuard(AwsService.Eks.Id, "DescribeAddonVersions");
        var all = new List<AddonInfo>();
        var token = request.NextToken;
        do
        {
            var page = await client.DescribeAddonVersionsAsync(request with { NextToken = token }, cancellationToken).ConfigureAwait(false);
            all.AddRange(page.Addons ?? []); // absent on the wire: the source-generated contract leaves it null
            token = guard.Next(page.NextToken);
        }
        while (token is not null);
        return all;
    }
}

/// <summary>Finds the detector to use when none is configured.</summary>
public static class DetectorDiscovery
{
    /// <summary>The configured detector, else the region's only detector. None: "GuardDuty is not enabled in &lt;region&gt;".</summary>
    public static async Task<string> ResolveAsync(IGuardDutyClient client, string? configuredDetectorId, string region, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(configuredDetectorId))
        {
            return configuredDetectorId;
        }

        var detectors = await client.ListAllDetectorsAsync(cancellationToken).ConfigureAwait(false);
        return detectors.Count switch
        {
            0 => throw new GuardDutyNotEnabledException(region),
            1 => detectors[0],
            _ => throw new AwsConfigurationException(
                $"GuardDuty has {detectors.Count} detectors in {region} ({string.Join(", ", detectors)}); set the detector ID"),
        };
    }
}

/// <summary>ListDetectors found no detector: GuardDuty is off in that region for this account.</summary>
public sealed class GuardDutyNotEnabledException(string region)
    : AwsException($"GuardDuty is not enabled in {region}: ListDetectors returned no detector")
{
    public string Region { get; } = region;
}
