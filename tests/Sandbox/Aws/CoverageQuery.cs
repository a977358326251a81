using System.Globalization;
using System.Text.Json.Nodes;

namespace GuardDutyCoverage.Sandbox.Aws;

/// <summary>
/// GuardDuty's coverage filtering, sorting and statistics over model-shaped CoverageResource JSON.
/// Criteria are ANDed; <c>equals</c> holds when the attribute is one of the values, <c>notEquals</c> when it is none
/// of them (a missing attribute equals nothing).
/// </summary>
public static class CoverageQuery
{
    public static string? Attribute(JsonObject resource, string key)
    {
        var details = resource["resourceDetails"];
        var eks = details?["eksClusterDetails"];
        var ecs = details?["ecsClusterDetails"];
        var ec2 = details?["ec2InstanceDetails"];
        return key switch
        {
            "ACCOUNT_ID" => (string?)resource["accountId"],
            "RESOURCE_TYPE" => (string?)details?["resourceType"],
            "COVERAGE_STATUS" => (string?)resource["coverageStatus"],
            "ISSUE" => (string?)resource["issue"],
            "ADDON_VERSION" => (string?)eks?["addonDetails"]?["addonVersion"],
            "CLUSTER_NAME" or "EKS_CLUSTER_NAME" => (string?)eks?["clusterName"],
            "ECS_CLUSTER_NAME" => (string?)ecs?["clusterName"],
            "MANAGEMENT_TYPE" => (string?)eks?["managementType"] ?? (string?)ecs?["fargateDetails"]?["managementType"] ?? (string?)ec2?["managementType"],
            "AGENT_VERSION" => (string?)ec2?["agentDetails"]?["version"],
            "INSTANCE_ID" => (string?)ec2?["instanceId"],
            "CLUSTER_ARN" => (string?)ec2?["clusterArn"],
            "UPDATED_AT" => resource["updatedAt"] is JsonValue v && v.TryGetValue<double>(out var t) ? t.ToString("F3", CultureInfo.InvariantCulture).PadLeft(20, '0') : null,
            _ => null,
        };
    }

    public static IEnumerable<JsonObject> Filter(IEnumerable<JsonObject> resources, JsonNode? filterCriteria)
    {
        var criteria = filterCriteria?["filterCriterion"]?.AsArray() ?? [];
        return resources.Where(resource => criteria.All(criterion =>
        {
            var value = Attribute(resource, (string)criterion!["criterionKey"]!);
            var condition = criterion["filterCondition"];
            var equalsValues = condition?["equals"]?.AsArray().Select(v => (string?)v).ToList();
            var notEquals = condition?["notEquals"]?.AsArray().Select(v => (string?)v).ToList();
            return (equalsValues is null || (value is not null && equalsValues.Contains(value)))
                && (notEquals is null || value is null || !notEquals.Contains(value));
        }));
    }

    /// <summary>Sorted by the key (missing values first when ascending), ties broken by resourceId; unsorted keeps stored order.</summary>
    public static List<JsonObject> Sort(IEnumerable<JsonObject> resources, JsonNode? sortCriteria)
    {
        var list = resources.ToList();
        if ((string?)sortCriteria?["attributeName"] is not { } key)
        {
            return list;
        }

        var descending = (string?)sortCriteria["orderBy"] == "DESC";
        var ordered = descending
            ? list.OrderByDescending(r => Attribute(r, key), StringComparer.Ordinal)
            : list.OrderBy(r => Attribute(r, key), StringComparer.Ordinal);
        return ordered.ThenBy(r => (string?)r["resourceId"], StringComparer.Ordinal).ToList();
    }

    public static JsonObject Statistics(IReadOnlyCollection<JsonObject> resources, IEnumerable<string> types)
    {
        var statistics = new JsonObject();
        foreach (var type in types.Distinct(StringComparer.Ordinal))
        {
            var (member, key) = type == "COUNT_BY_RESOURCE_TYPE" ? ("countByResourceType", "RESOURCE_TYPE") : ("countByCoverageStatus", "COVERAGE_STATUS");
            var counts = new JsonObject();
            foreach (var group in resources.GroupBy(r => Attribute(r, key)).Where(g => g.Key is not null).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                counts[group.Key!] = group.LongCount();
            }

            statistics[member] = counts;
        }

        return statistics;
    }
}
