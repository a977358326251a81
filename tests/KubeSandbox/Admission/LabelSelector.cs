using System.Text.Json.Nodes;
using KubeSandbox.Authorization;
using KubeSandbox.Semantics;

namespace KubeSandbox.Admission;

/// <summary>A metav1.LabelSelector that cannot be turned into a selector; the message is apimachinery's.</summary>
internal sealed class InvalidLabelSelectorException(string message) : Exception(message);

/// <summary>
/// metav1.LabelSelector semantics (LabelSelectorAsSelector): matchLabels and matchExpressions are ANDed; an empty
/// selector matches everything; <c>NotIn</c> and <c>DoesNotExist</c> match objects without the key.
/// </summary>
internal sealed class LabelSelector
{
    private readonly IReadOnlyList<Requirement> requirements;

    private LabelSelector(IReadOnlyList<Requirement> requirements) => this.requirements = requirements;

    public bool IsEmpty => requirements.Count == 0;

    /// <summary>Parses a selector object; <c>null</c> and <c>{}</c> are the empty selector (v1 webhooks default nil to {}).</summary>
    public static LabelSelector Parse(JsonNode? node)
    {
        var requirements = new List<Requirement>();
        if (node is not JsonObject selector)
        {
            return new LabelSelector(requirements);
        }

        if (selector["matchLabels"] is JsonObject matchLabels)
        {
            foreach (var (key, value) in matchLabels)
            {
                requirements.Add(new Requirement(key, "In", [JsonRead.String(value) ?? ""]));
            }
        }

        if (selector["matchExpressions"] is JsonArray expressions)
        {
            foreach (var item in expressions)
            {
                if (item is not JsonObject expression)
                {
                    continue;
                }

                var key = JsonRead.String(expression["key"]) ?? "";
                var op = JsonRead.String(expression["operator"]) ?? "";
                var values = JsonRead.Strings(expression["values"]);
                switch (op)
                {
                    case "In" or "NotIn":
                        if (values.Count == 0)
                        {
                            throw new InvalidLabelSelectorException("values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty");
                        }

                        break;
                    case "Exists" or "DoesNotExist":
                        if (values.Count > 0)
                        {
                            throw new InvalidLabelSelectorException("values: Invalid value: []string{" + string.Join(", ", values.Select(GoFormat.Quote)) + "}: values set must be empty for exists and does not exist");
                        }

                        break;
                    default:
                        throw new InvalidLabelSelectorException($"{GoFormat.Quote(op)} is not a valid label selector operator");
                }

                requirements.Add(new Requirement(key, op, values));
            }
        }

        return new LabelSelector(requirements);
    }

    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        foreach (var requirement in requirements)
        {
            var present = labels.TryGetValue(requirement.Key, out var value);
            var matches = requirement.Operator switch
            {
                "In" => present && requirement.Values.Contains(value!, StringComparer.Ordinal),
                "NotIn" => !present || !requirement.Values.Contains(value!, StringComparer.Ordinal),
                "Exists" => present,
                "DoesNotExist" => !present,
                _ => false,
            };
            if (!matches)
            {
                return false;
            }
        }

        return true;
    }

    private sealed record Requirement(string Key, string Operator, IReadOnlyList<string> Values);
}
