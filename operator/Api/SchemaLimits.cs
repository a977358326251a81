namespace GuardDutyCoverage.Api;

/// <summary>
/// The bounds of every string and list in the CRD schema (<c>maxLength</c>, <c>maxItems</c>). The API server rejects a
/// spec past them; the status the operator writes is fitted to them (<see cref="Fit(string?, int)"/>), so a long
/// GuardDuty issue or message can never make a status write fail.
/// </summary>
public static class SchemaLimits
{
    public const int ClusterName = 100;
    public const int Region = 64;
    public const int AccountId = 12;
    public const int DetectorId = 300;
    public const int Version = 128;
    public const int Interval = 32;
    public const int EndpointUrl = 2048;
    public const int SecretKey = 253;

    /// <summary>Enum-like status words (Healthy, HEALTHY, Agree, ...).</summary>
    public const int Word = 64;
    public const int AddonVersion = 256;
    public const int Image = 4096;
    public const int Reason = 1024;
    public const int Text = 32768;

    public const int Findings = 256;
    public const int Conditions = 64;
    public const int Sources = 16;
    public const int Steps = 64;

    /// <summary>The text, cut to <paramref name="max"/> characters with an ellipsis when longer.</summary>
    public static string? Fit(string? text, int max) => text is null || text.Length <= max ? text : text[..(max - 1)] + "…";

    /// <summary>The first <paramref name="max"/> items.</summary>
    public static IReadOnlyList<T> Fit<T>(IReadOnlyList<T> items, int max) => items.Count <= max ? items : [.. items.Take(max)];
}

/// <summary>A list's items are strings of at most this length (<c>items.maxLength</c> in the CRD).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ItemMaxLengthAttribute(int length) : Attribute
{
    public int Length { get; } = length;
}

/// <summary>A list holds at most this many items (<c>maxItems</c> in the CRD).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class MaxItemsAttribute(int length) : Attribute
{
    public int Length { get; } = length;
}
