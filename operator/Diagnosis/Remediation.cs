using System.Text;

namespace GuardDutyCoverage.Diagnosis;

/// <summary>Values for the catalog's step templates (<c>{cluster}</c>, <c>{region}</c>, ...).</summary>
public sealed class RemediationContext
{
    private readonly Dictionary<string, string> values = new(StringComparer.Ordinal);

    public RemediationContext Set(string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            values[name] = value;
        }

        return this;
    }

    public RemediationContext With(IReadOnlyDictionary<string, string>? details)
    {
        var copy = new RemediationContext();
        foreach (var (key, value) in values)
        {
            copy.values[key] = value;
        }

        foreach (var (key, value) in details ?? new Dictionary<string, string>())
        {
            copy.values[key] = value;
        }

        return copy;
    }

    /// <summary>Fills <c>{name}</c> placeholders; an unknown value stays visible as <c>&lt;name&gt;</c>.</summary>
    public string Render(string template)
    {
        var builder = new StringBuilder(template.Length + 64);
        var i = 0;
        while (i < template.Length)
        {
            var c = template[i];
            if (c == '{')
            {
                var end = template.IndexOf('}', i + 1);
                var name = end > i + 1 ? template[(i + 1)..end] : null;
                if (name is not null && IsPlaceholder(name))
                {
                    builder.Append(values.TryGetValue(name, out var value) ? value : name == "addonVersionArg" ? "" : $"<{name}>");
                    i = end + 1;
                    continue;
                }
            }

            builder.Append(c);
            i++;
        }

        return builder.ToString();
    }

    private static bool IsPlaceholder(string name) => name.All(char.IsAsciiLetterOrDigit) && char.IsAsciiLetterLower(name[0]);

    internal static RemediationContext For(DiagnosisContext context)
    {
        var target = context.Target;
        var selector = context.DaemonSet?.Spec?.Selector?.MatchLabels;
        var registries = AgentRegistries.For(context.Region);
        return new RemediationContext()
            .Set("cluster", target.ClusterName)
            .Set("region", context.Region)
            .Set("namespace", target.AgentNamespace)
            .Set("daemonSet", target.DaemonSetName)
            .Set("priorityClass", target.PriorityClassName)
            .Set("minimumVersion", target.MinimumVersion)
            .Set("registries", registries.Count > 0 ? string.Join(", ", registries) : null)
            .Set("podSelector", selector is { Count: > 0 } ? string.Join(",", selector.Select(kv => $"{kv.Key}={kv.Value}")) : null)
            .Set("addonVersionArg", context.Addon?.AddonVersion is { } version ? $" --addon-version {version}" : null)
            .Set("vpcId", context.VpcId);
    }
}
