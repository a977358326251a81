using System.Text.Json;
using GuardDutyCoverage.Aws.Model;

namespace GuardDutyCoverage.Aws;

/// <summary>A read that may legitimately find nothing: <see cref="Value"/> null and the service's reason.</summary>
public sealed record AwsLookup<T>(T? Value, string? NotFoundReason)
    where T : class
{
    public bool Found => Value is not null;

    public static AwsLookup<T> Of(T value) => new(value, null);

    public static AwsLookup<T> NotFound(string reason) => new(null, reason);
}

/// <summary>The EKS operations the operator uses.</summary>
public interface IEksClient
{
    /// <summary>DescribeCluster; not found is a result, not an error.</summary>
    Task<AwsLookup<EksCluster>> DescribeClusterAsync(string clusterName, CancellationToken cancellationToken);

    /// <summary>DescribeAddon; a missing add-on (or cluster) is a result, not an error.</summary>
    Task<AwsLookup<EksAddon>> DescribeAddonAsync(string clusterName, string addonName, CancellationToken cancellationToken);

    /// <summary>One page of DescribeAddonVersions (see <see cref="EksPaging"/> for all pages).</summary>
    Task<DescribeAddonVersionsResponse> DescribeAddonVersionsAsync(DescribeAddonVersionsRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// UpdateAddon. Changes the cluster: for the opt-in remediation only. A missing <see cref="UpdateAddonRequest.ClientRequestToken"/>
    /// is filled with a new GUID (the model's idempotency token).
    /// </summary>
    Task<EksUpdate> UpdateAddonAsync(string clusterName, string addonName, UpdateAddonRequest request, CancellationToken cancellationToken);
}

/// <summary>EKS 2017-11-01 over rest-json, per tests/testdata/aws-models/eks-2017-11-01.service-2.json.</summary>
public sealed class EksClient(AwsRestJsonClient transport) : IEksClient
{
    public async Task<AwsLookup<EksCluster>> DescribeClusterAsync(string clusterName, CancellationToken cancellationToken)
    {
        RequestValidation.ClusterName("DescribeCluster", clusterName);
        try
        {
            var response = await transport.SendAsync(
                "DescribeCluster", HttpMethod.Get, "/clusters/" + AwsRestJsonClient.PathSegment(clusterName), [], null,
                AwsJsonContext.Default.DescribeClusterResponse, cancellationToken).ConfigureAwait(false);
            return response.Cluster is { } cluster ? AwsLookup<EksCluster>.Of(cluster) : AwsLookup<EksCluster>.NotFound("the response has no cluster");
        }
        catch (AwsServiceException e) when (e.IsNotFound)
        {
            return AwsLookup<EksCluster>.NotFound(e.ErrorMessage ?? e.ErrorCode);
        }
    }

    public async Task<AwsLookup<EksAddon>> DescribeAddonAsync(string clusterName, string addonName, CancellationToken cancellationToken)
    {
        RequestValidation.ClusterName("DescribeAddon", clusterName);
        RequestValidation.NotEmpty("DescribeAddon", "addonName", addonName);
        try
        {
            var response = await transport.SendAsync(
                "DescribeAddon", HttpMethod.Get,
                $"/clusters/{AwsRestJsonClient.PathSegment(clusterName)}/addons/{AwsRestJsonClient.PathSegment(addonName)}", [], null,
                AwsJsonContext.Default.DescribeAddonResponse, cancellationToken).ConfigureAwait(false);
            return response.Addon is { } addon ? AwsLookup<EksAddon>.Of(addon) : AwsLookup<EksAddon>.NotFound("the response has no addon");
        }
        catch (AwsServiceException e) when (e.IsNotFound)
        {
            return AwsLookup<EksAddon>.NotFound(e.ErrorMessage ?? e.ErrorCode);
        }
    }

    public Task<DescribeAddonVersionsResponse> DescribeAddonVersionsAsync(DescribeAddonVersionsRequest request, CancellationToken cancellationToken)
    {
        RequestValidation.Range("DescribeAddonVersions", "maxResults", request.MaxResults, 1, 100);
        var query = new List<KeyValuePair<string, string>>();
        RequestValidation.AddQuery(query, "kubernetesVersion", request.KubernetesVersion);
        RequestValidation.AddQuery(query, "maxResults", request.MaxResults);
        RequestValidation.AddQuery(query, "nextToken", request.NextToken);
        RequestValidation.AddQuery(query, "addonName", request.AddonName);
        RequestValidation.AddQuery(query, "types", request.Types);
        RequestValidation.AddQuery(query, "publishers", request.Publishers);
        RequestValidation.AddQuery(query, "owners", request.Owners);
        return transport.SendAsync(
            "DescribeAddonVersions", HttpMethod.Get, "/addons/supported-versions", query, null,
            AwsJsonContext.Default.DescribeAddonVersionsResponse, cancellationToken);
    }

    public async Task<EksUpdate> UpdateAddonAsync(string clusterName, string addonName, UpdateAddonRequest request, CancellationToken cancellationToken)
    {
        RequestValidation.ClusterName("UpdateAddon", clusterName);
        RequestValidation.NotEmpty("UpdateAddon", "addonName", addonName);
        RequestValidation.Enum("UpdateAddon", "resolveConflicts", request.ResolveConflicts, ModelEnums.ResolveConflicts);
        if (request.ServiceAccountRoleArn is { Length: 0 or > 255 })
        {
            throw RequestValidation.Invalid("UpdateAddon", "serviceAccountRoleArn must be 1 to 255 characters");
        }

        if (request.ClientRequestToken is null)
        {
            request = request with { ClientRequestToken = Guid.NewGuid().ToString() };
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(request, AwsJsonContext.Default.UpdateAddonRequest);
        var response = await transport.SendAsync(
            "UpdateAddon", HttpMethod.Post,
            $"/clusters/{AwsRestJsonClient.PathSegment(clusterName)}/addons/{AwsRestJsonClient.PathSegment(addonName)}/update", [], body,
            AwsJsonContext.Default.UpdateAddonResponse, cancellationToken).ConfigureAwait(false);
        return response.Update ?? throw new AwsServiceException(
            AwsService.Eks.Id, "UpdateAddon", AwsServiceException.LocalCodes.InvalidResponse, "the response has no update", null, null);
    }
}
