using System.Collections.Frozen;

namespace GuardDutyCoverage.Diagnosis;

/// <summary>
/// The ECR registries that host the EKS agent image, per region (guardduty-eks-facts.md §c, "ECR repository for EKS
/// agent versions 1.16.0 - 1.8.1 (eks.build.2)"). Both listed accounts are allowed: the first also serves other EKS
/// add-on images, the second is GuardDuty's own (the only one on the older pages).
/// </summary>
public static class AgentRegistries
{
    private static readonly (string Region, string First, string? Second)[] Table =
    [
        ("us-west-2", "602401143452", "039403964562"),
        ("eu-west-3", "602401143452", "113643092156"),
        ("ap-south-1", "602401143452", "610108029387"),
        ("ap-south-2", "900889452093", "618745550137"),
        ("ca-central-1", "602401143452", "001188825231"),
        ("ca-west-1", "761377655185", null),
        ("me-central-1", "759879836304", "601769779514"),
        ("eu-west-2", "602401143452", "109118265657"),
        ("us-west-1", "602401143452", "373421517865"),
        ("us-east-1", "602401143452", "031903291036"),
        ("us-east-2", "602401143452", "591382732059"),
        ("eu-west-1", "602401143452", "673884943994"),
        ("sa-east-1", "602401143452", "941219317354"),
        ("eu-north-1", "602401143452", "366771026645"),
        ("eu-central-1", "602401143452", "409493279830"),
        ("eu-central-2", "900612956339", "718440343717"),
        ("ap-southeast-1", "602401143452", "584580519942"),
        ("ap-southeast-2", "602401143452", "011662287384"),
        ("ap-southeast-3", "296578399912", "617474730032"),
        ("ap-northeast-1", "602401143452", "781592569369"),
        ("ap-northeast-2", "602401143452", "732248494576"),
        ("ap-northeast-3", "602401143452", "810724417379"),
        ("ap-east-1", "800184023465", "790429075973"),
        ("me-south-1", "558608220178", "541829937850"),
        ("eu-south-1", "590381155156", "528450769569"),
        ("eu-south-2", "455263428931", "531047660167"),
        ("af-south-1", "877085696533", "379032919888"),
        ("ap-southeast-4", "491585149902", "750462861327"),
        ("il-central-1", "066635153087", "292660727137"),
        ("ap-southeast-5", "151610086707", null),
        ("ap-southeast-7", "121268973566", null),
        ("mx-central-1", "730335286997", null),
        ("ap-east-2", "533267051163", null),
    ];

    private static readonly FrozenDictionary<string, IReadOnlyList<string>> ByRegion = Table.ToFrozenDictionary(
        row => row.Region,
        row => (IReadOnlyList<string>)(row.Second is null
            ? [Host(row.First, row.Region)]
            : [Host(row.First, row.Region), Host(row.Second, row.Region)]),
        StringComparer.Ordinal);

    /// <summary>Regions the documentation lists.</summary>
    public static IReadOnlyCollection<string> Regions => ByRegion.Keys;

    /// <summary>The registry hosts for a region; empty when the region is not documented (China, GovCloud, new regions).</summary>
    public static IReadOnlyList<string> For(string? region) =>
        region is not null && ByRegion.TryGetValue(region, out var hosts) ? hosts : [];

    public static bool IsDocumented(string? region) => region is not null && ByRegion.ContainsKey(region);

    private static string Host(string account, string region) => $"{account}.dkr.ecr.{region}.amazonaws.com";
}
