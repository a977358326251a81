using System.Text;
using System.Text.Json.Nodes;
using KubeSandbox.Json;

namespace KubeSandbox.Storage;

/// <summary>A parse error of a selector; the server answers 400 BadRequest with <see cref="Exception.Message"/>.</summary>
internal sealed class SelectorException(string message) : Exception(message);

/// <summary>A Kubernetes label selector (<c>a=b,c!=d,e in (x,y),f notin (z),g,!h</c>).</summary>
internal sealed class LabelSelector
{
    private readonly List<Func<IReadOnlyDictionary<string, string>, bool>> _requirements = [];

    public static LabelSelector Everything { get; } = new();

    public bool IsEmpty => _requirements.Count == 0;

    public static LabelSelector Parse(string? text)
    {
        var selector = new LabelSelector();
        if (string.IsNullOrWhiteSpace(text))
        {
            return selector;
        }

        foreach (var raw in SplitTopLevel(text))
        {
            var part = raw.Trim();
            if (part.Length == 0)
            {
                throw new SelectorException($"unable to parse requirement: found '', expected: identifier");
            }

            selector._requirements.Add(ParseRequirement(part));
        }

        return selector;
    }

    public bool Matches(JsonObject obj)
    {
        if (_requirements.Count == 0)
        {
            return true;
        }

        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (obj["metadata"]?["labels"] is JsonObject labelObject)
        {
            foreach (var (key, value) in labelObject)
            {
                labels[key] = JsonUtil.ScalarText(value) ?? string.Empty;
            }
        }

        return _requirements.TrueForAll(r => r(labels));
    }

    private static Func<IReadOnlyDictionary<string, string>, bool> ParseRequirement(string part)
    {
        if (part.StartsWith('!'))
        {
            var key = ValidKey(part[1..].Trim());
            return labels => !labels.ContainsKey(key);
        }

        var setMatch = System.Text.RegularExpressions.Regex.Match(part, @"^(\S+)\s+(in|notin)\s*\((.*)\)$");
        if (setMatch.Success)
        {
            var key = ValidKey(setMatch.Groups[1].Value);
            var values = setMatch.Groups[3].Value.Split(',').Select(v => v.Trim()).ToHashSet(StringComparer.Ordinal);
            return setMatch.Groups[2].Value == "in"
                ? labels => labels.TryGetValue(key, out var v) && values.Contains(v)
                : labels => !labels.TryGetValue(key, out var v) || !values.Contains(v);
        }

        foreach (var op in new[] { "!=", "==", "=" })
        {
            var index = part.IndexOf(op, StringComparison.Ordinal);
            if (index > 0)
            {
                var key = ValidKey(part[..index].Trim());
                var value = part[(index + op.Length)..].Trim();
                return op == "!="
                    ? labels => !labels.TryGetValue(key, out var v) || v != value
                    : labels => labels.TryGetValue(key, out var v) && v == value;
            }
        }

        var existsKey = ValidKey(part);
        return labels => labels.ContainsKey(existsKey);
    }

    private static string ValidKey(string key)
    {
        if (key.Length == 0 || key.Any(c => char.IsWhiteSpace(c) || c is '(' or ')' or ',' or '!' or '='))
        {
            throw new SelectorException($"unable to parse requirement: invalid label key \"{key}\"");
        }

        return key;
    }

    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case ',' when depth == 0:
                    yield return text[start..i];
                    start = i + 1;
                    break;
            }
        }

        yield return text[start..];
    }
}

/// <summary>A field selector (<c>metadata.name=x,status.phase!=Running</c>) over the fields a resource supports.</summary>
internal sealed class FieldSelector
{
    private readonly List<(string Field, bool Equal, string Value)> _terms = [];

    public static FieldSelector Everything { get; } = new();

    public bool IsEmpty => _terms.Count == 0;

    /// <summary>The value required for <paramref name="field"/> by an equality term, if any.</summary>
    public string? RequiredValue(string field) => _terms.FirstOrDefault(t => t.Field == field && t.Equal).Value;

    public static FieldSelector Parse(string? text, IReadOnlySet<string> supportedFields)
    {
        var selector = new FieldSelector();
        if (string.IsNullOrWhiteSpace(text))
        {
            return selector;
        }

        foreach (var term in SplitUnescaped(text, ','))
        {
            if (term.Length == 0)
            {
                continue;
            }

            var (field, equal, value) = ParseTerm(term);
            if (!supportedFields.Contains(field))
            {
                throw new SelectorException($"field label not supported: {field}");
            }

            selector._terms.Add((field, equal, value));
        }

        return selector;
    }

    public bool Matches(JsonObject obj)
    {
        foreach (var (field, equal, value) in _terms)
        {
            var actual = FieldValue(obj, field);
            if ((actual == value) != equal)
            {
                return false;
            }
        }

        return true;
    }

    private static string FieldValue(JsonObject obj, string field)
    {
        JsonNode? current = obj;
        foreach (var segment in field.Split('.'))
        {
            current = current is JsonObject o && o.TryGetPropertyValue(segment, out var next) ? next : null;
        }

        return JsonUtil.ScalarText(current) ?? string.Empty;
    }

    private static (string Field, bool Equal, string Value) ParseTerm(string term)
    {
        foreach (var op in new[] { "!=", "==", "=" })
        {
            var index = IndexOfUnescaped(term, op);
            if (index > 0)
            {
                return (term[..index].Trim(), op != "!=", Unescape(term[(index + op.Length)..]));
            }
        }

        throw new SelectorException($"invalid selector: '{term}'; can't understand '{term}'");
    }

    private static int IndexOfUnescaped(string text, string op)
    {
        for (var i = 0; i + op.Length <= text.Length; i++)
        {
            if (text[i] == '\\')
            {
                i++;
                continue;
            }

            if (string.CompareOrdinal(text, i, op, 0, op.Length) == 0)
            {
                return i;
            }
        }

        return -1;
    }

    private static IEnumerable<string> SplitUnescaped(string text, char separator)
    {
        var current = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length)
            {
                current.Append(text[i]).Append(text[i + 1]);
                i++;
            }
            else if (text[i] == separator)
            {
                yield return current.ToString();
                current.Clear();
            }
            else
            {
                current.Append(text[i]);
            }
        }

        yield return current.ToString();
    }

    private static string Unescape(string text)
    {
        var result = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length)
            {
                i++;
            }

            result.Append(text[i]);
        }

        return result.ToString();
    }
}

/// <summary>Which objects a list or watch wants: a namespace (or all) and label and field selectors.</summary>
internal sealed record ObjectFilter(string? Namespace, LabelSelector Labels, FieldSelector Fields)
{
    public static ObjectFilter All { get; } = new(null, LabelSelector.Everything, FieldSelector.Everything);

    /// <summary>How the client sees a stored object (converted resources), when selectors must match that view.</summary>
    public Func<JsonObject, JsonObject>? View { get; init; }

    public bool Matches(JsonObject stored)
    {
        var obj = View is null ? stored : View(stored);
        if (Namespace is not null && (JsonUtil.GetString(obj, "metadata", "namespace") ?? string.Empty) != Namespace)
        {
            return false;
        }

        return Labels.Matches(obj) && Fields.Matches(obj);
    }

    /// <summary>The field selectors kube-apiserver supports for a resource.</summary>
    public static IReadOnlySet<string> SupportedFields(string group, string resource, bool namespaced)
    {
        var fields = new HashSet<string>(StringComparer.Ordinal) { "metadata.name" };
        if (namespaced)
        {
            fields.Add("metadata.namespace");
        }

        switch (group, resource)
        {
            case ("", "pods"):
                fields.UnionWith(["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "status.phase", "status.podIP", "status.nominatedNodeName"]);
                break;
            case ("", "namespaces"):
                fields.Add("status.phase");
                break;
            case ("", "nodes"):
                fields.Add("spec.unschedulable");
                break;
            case ("", "secrets"):
                fields.Add("type");
                break;
            case ("", "events"):
                fields.UnionWith([
                    "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                    "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                    "reason", "reportingComponent", "source", "type",
                ]);
                break;
            case ("events.k8s.io", "events"):
                fields.UnionWith([
                    "regarding.kind", "regarding.namespace", "regarding.name", "regarding.uid", "regarding.apiVersion",
                    "regarding.resourceVersion", "regarding.fieldPath", "reason", "reportingController", "type",
                ]);
                break;
        }

        return fields;
    }
}
