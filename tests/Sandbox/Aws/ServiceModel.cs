using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace GuardDutyCoverage.Sandbox.Aws;

/// <summary>One operation of a botocore model: its HTTP binding and input/output shapes.</summary>
public sealed record OperationModel(string Name, string Method, string RequestUri, string? InputShape, string? OutputShape, int SuccessCode)
{
    internal string PathTemplate => RequestUri.Split('?')[0];
}

/// <summary>A violation of the model by a request: the member's wire path and what is wrong, in AWS's words.</summary>
public sealed record ModelViolation(string Member, string Message);

/// <summary>
/// A botocore service-2.json loaded at run time: routes a request to its operation by method and URI template, and
/// validates every member against the model (location, unknown and missing members, types, enums, lengths, ranges,
/// patterns), recursively through structures, lists and maps.
/// </summary>
public sealed class ServiceModel
{
    private readonly JsonObject _shapes;
    private readonly List<(OperationModel Operation, Regex Pattern, int Literals)> _routes = [];
    private readonly Dictionary<string, Regex?> _patterns = new(StringComparer.Ordinal);

    private ServiceModel(JsonObject root)
    {
        var metadata = root["metadata"]!.AsObject();
        ServiceId = (string)metadata["serviceId"]!;
        SigningName = (string?)metadata["signingName"] ?? (string)metadata["endpointPrefix"]!;
        Protocol = (string)metadata["protocol"]!;
        _shapes = root["shapes"]!.AsObject();
        var operations = new Dictionary<string, OperationModel>(StringComparer.Ordinal);
        foreach (var (name, node) in root["operations"]!.AsObject())
        {
            var http = node!["http"]!;
            var operation = new OperationModel(
                name,
                (string)http["method"]!,
                (string)http["requestUri"]!,
                (string?)node["input"]?["shape"],
                (string?)node["output"]?["shape"],
                (int?)http["responseCode"] ?? 200);
            operations[name] = operation;
            var (pattern, literals) = CompileTemplate(operation.PathTemplate);
            _routes.Add((operation, pattern, literals));
        }

        Operations = operations;
        _routes.Sort((a, b) => b.Literals.CompareTo(a.Literals));
    }

    public string ServiceId { get; }

    public string SigningName { get; }

    public string Protocol { get; }

    public IReadOnlyDictionary<string, OperationModel> Operations { get; }

    public static ServiceModel Load(string path) => new(JsonNode.Parse(File.ReadAllText(path))!.AsObject());

    public JsonObject Shape(string name) => _shapes[name]?.AsObject() ?? throw new KeyNotFoundException($"shape {name} is not in the {ServiceId} model");

    /// <summary>The operation for a method and (encoded) path, with its URI members decoded.</summary>
    public bool TryMatch(string method, string path, out OperationModel operation, out Dictionary<string, string> uriMembers)
    {
        foreach (var (candidate, pattern, _) in _routes)
        {
            if (!string.Equals(candidate.Method, method, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var match = pattern.Match(path);
            if (!match.Success)
            {
                continue;
            }

            operation = candidate;
            uriMembers = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var group in pattern.GetGroupNames().Where(n => !char.IsAsciiDigit(n[0])))
            {
                uriMembers[group] = Uri.UnescapeDataString(match.Groups[group].Value);
            }

            return true;
        }

        operation = null!;
        uriMembers = null!;
        return false;
    }

    /// <summary>
    /// Validates a request of <paramref name="operation"/>. Query values are decoded; <paramref name="body"/> is the
    /// parsed JSON body or null when there was none.
    /// </summary>
    public IReadOnlyList<ModelViolation> ValidateRequest(
        OperationModel operation,
        IReadOnlyDictionary<string, string> uriMembers,
        IReadOnlyList<KeyValuePair<string, string>> query,
        JsonNode? body)
    {
        var violations = new List<ModelViolation>();
        var input = operation.InputShape is null ? new JsonObject { ["type"] = "structure", ["members"] = new JsonObject() } : Shape(operation.InputShape);
        var members = input["members"]!.AsObject();
        var required = RequiredOf(input);
        var bodyMembers = new JsonObject();
        var queryByName = query.GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(p => p.Value).ToList(), StringComparer.Ordinal);
        var knownQuery = new HashSet<string>(StringComparer.Ordinal);
        var hasBodyMembers = false;

        foreach (var (memberName, memberNode) in members)
        {
            var member = memberNode!.AsObject();
            var location = (string?)member["location"];
            var wireName = (string?)member["locationName"] ?? memberName;
            var shapeName = (string)member["shape"]!;
            var shape = Shape(shapeName);
            switch (location)
            {
                case "uri":
                    if (uriMembers.TryGetValue(wireName, out var uriValue))
                    {
                        ValidateScalarText(wireName, uriValue, shapeName, shape, violations);
                    }
                    else if (required.Contains(memberName))
                    {
                        violations.Add(Missing(wireName));
                    }

                    break;
                case "querystring":
                    knownQuery.Add(wireName);
                    if (queryByName.TryGetValue(wireName, out var values))
                    {
                        ValidateQuery(wireName, values, shapeName, shape, violations);
                    }
                    else if (required.Contains(memberName))
                    {
                        violations.Add(Missing(wireName));
                    }

                    break;
                case "header" or "headers" or "statusCode":
                    break;
                default:
                    hasBodyMembers = true;
                    var value = body is JsonObject bodyObject ? bodyObject[wireName] : null;
                    if (value is not null)
                    {
                        bodyMembers[wireName] = value.DeepClone();
                    }

                    break;
            }
        }

        foreach (var name in queryByName.Keys.Where(k => !knownQuery.Contains(k)))
        {
            violations.Add(new ModelViolation(name, $"'{name}' is not a query parameter of {operation.Name}"));
        }

        if (body is not null && !hasBodyMembers)
        {
            violations.Add(new ModelViolation("body", $"{operation.Name} takes no request body"));
        }
        else if (body is not null && body is not JsonObject)
        {
            violations.Add(new ModelViolation("body", "the request body must be a JSON object"));
        }
        else if (hasBodyMembers)
        {
            var bodyShape = new JsonObject
            {
                ["type"] = "structure",
                ["required"] = new JsonArray(required.Where(r => members[r]?["location"] is null).Select(r => (JsonNode)JsonValue.Create(r)).ToArray()),
                ["members"] = new JsonObject(members.Where(m => m.Value!["location"] is null).Select(m => KeyValuePair.Create(m.Key, (JsonNode?)m.Value!.DeepClone()))),
            };
            ValidateStructure("", (JsonObject?)body ?? [], bodyShape, violations);
        }

        return violations;
    }

    /// <summary>Validates any JSON value (a response, say) against a named shape.</summary>
    public IReadOnlyList<ModelViolation> ValidateValue(string shapeName, JsonNode? value)
    {
        var violations = new List<ModelViolation>();
        ValidateNode("", value, shapeName, Shape(shapeName), violations);
        return violations;
    }

    /// <summary>All members of the operation's input, walked transitively: (structures, members) counted once per shape.</summary>
    public (int Shapes, int Members) CountInputMembers(OperationModel operation)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var members = 0;
        void Walk(string name)
        {
            if (!seen.Add(name))
            {
                return;
            }

            var shape = Shape(name);
            switch ((string)shape["type"]!)
            {
                case "structure":
                    foreach (var (_, m) in shape["members"]!.AsObject())
                    {
                        members++;
                        Walk((string)m!["shape"]!);
                    }

                    break;
                case "list":
                    Walk((string)shape["member"]!["shape"]!);
                    break;
                case "map":
                    Walk((string)shape["key"]!["shape"]!);
                    Walk((string)shape["value"]!["shape"]!);
                    break;
            }
        }

        if (operation.InputShape is not null)
        {
            Walk(operation.InputShape);
        }

        return (seen.Count, members);
    }

    private static HashSet<string> RequiredOf(JsonObject structure) =>
        new((structure["required"]?.AsArray() ?? []).Select(n => (string)n!), StringComparer.Ordinal);

    private static ModelViolation Missing(string path) =>
        new(path, $"Value null at '{path}' failed to satisfy constraint: Member must not be null");

    private void ValidateQuery(string name, List<string> values, string shapeName, JsonObject shape, List<ModelViolation> violations)
    {
        if ((string)shape["type"]! == "list")
        {
            var itemShapeName = (string)shape["member"]!["shape"]!;
            var itemShape = Shape(itemShapeName);
            CheckLength(name, values.Count, shape, violations, "length");
            foreach (var value in values)
            {
                ValidateScalarText(name, value, itemShapeName, itemShape, violations);
            }

            return;
        }

        if (values.Count > 1)
        {
            violations.Add(new ModelViolation(name, $"'{name}' is given {values.Count} times but takes one value"));
            return;
        }

        ValidateScalarText(name, values[0], shapeName, shape, violations);
    }

    private void ValidateScalarText(string path, string text, string shapeName, JsonObject shape, List<ModelViolation> violations)
    {
        switch ((string)shape["type"]!)
        {
            case "string":
                ValidateString(path, text, shapeName, shape, violations);
                break;
            case "integer" or "long":
                if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
                {
                    violations.Add(new ModelViolation(path, $"Value '{text}' at '{path}' failed to satisfy constraint: Member must be an integer"));
                }
                else
                {
                    CheckRange(path, number, shape, violations);
                }

                break;
            case "boolean":
                if (text is not ("true" or "false"))
                {
                    violations.Add(new ModelViolation(path, $"Value '{text}' at '{path}' failed to satisfy constraint: Member must be true or false"));
                }

                break;
            default:
                break;
        }
    }

    private void ValidateNode(string path, JsonNode? value, string shapeName, JsonObject shape, List<ModelViolation> violations)
    {
        if (value is null)
        {
            return;
        }

        var type = (string)shape["type"]!;
        switch (type)
        {
            case "structure":
                if (value is JsonObject structure)
                {
                    ValidateStructure(path, structure, shape, violations);
                }
                else
                {
                    violations.Add(TypeMismatch(path, value, "an object"));
                }

                break;
            case "list":
                if (value is JsonArray array)
                {
                    CheckLength(path, array.Count, shape, violations, "length");
                    var itemShapeName = (string)shape["member"]!["shape"]!;
                    var itemShape = Shape(itemShapeName);
                    for (var i = 0; i < array.Count; i++)
                    {
                        if (array[i] is null)
                        {
                            violations.Add(new ModelViolation(Join(path, (i + 1).ToString(CultureInfo.InvariantCulture)), $"null in list '{path}'"));
                            continue;
                        }

                        ValidateNode(Join(path, (i + 1).ToString(CultureInfo.InvariantCulture)), array[i], itemShapeName, itemShape, violations);
                    }
                }
                else
                {
                    violations.Add(TypeMismatch(path, value, "a list"));
                }

                break;
            case "map":
                if (value is JsonObject map)
                {
                    CheckLength(path, map.Count, shape, violations, "length");
                    var keyShapeName = (string)shape["key"]!["shape"]!;
                    var valueShapeName = (string)shape["value"]!["shape"]!;
                    foreach (var (key, item) in map)
                    {
                        ValidateString(Join(path, key), key, keyShapeName, Shape(keyShapeName), violations);
                        ValidateNode(Join(path, key), item, valueShapeName, Shape(valueShapeName), violations);
                    }
                }
                else
                {
                    violations.Add(TypeMismatch(path, value, "a map"));
                }

                break;
            case "string":
                if (value is JsonValue s && s.TryGetValue<string>(out var text))
                {
                    ValidateString(path, text, shapeName, shape, violations);
                }
                else
                {
                    violations.Add(TypeMismatch(path, value, "a string"));
                }

                break;
            case "integer" or "long":
                if (Number(value) is { } number && Math.Floor(number) == number)
                {
                    CheckRange(path, number, shape, violations);
                }
                else
                {
                    violations.Add(TypeMismatch(path, value, "an integer"));
                }

                break;
            case "double" or "float":
                if (Number(value) is { } real)
                {
                    CheckRange(path, real, shape, violations);
                }
                else
                {
                    violations.Add(TypeMismatch(path, value, "a number"));
                }

                break;
            case "boolean":
                if (value is not JsonValue b || !b.TryGetValue<bool>(out _))
                {
                    violations.Add(TypeMismatch(path, value, "a boolean"));
                }

                break;
            case "timestamp":
                if (Number(value) is null && !(value is JsonValue t && t.TryGetValue<string>(out _)))
                {
                    violations.Add(TypeMismatch(path, value, "a timestamp"));
                }

                break;
            case "blob":
                if (value is not JsonValue blob || !blob.TryGetValue<string>(out _))
                {
                    violations.Add(TypeMismatch(path, value, "base64 text"));
                }

                break;
            default:
                break;
        }
    }

    /// <summary>A JSON number's value, whether parsed from text or built from a CLR number (long, int, double).</summary>
    private static double? Number(JsonNode? value) =>
        value is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number
            && double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            ? number
            : null;

    private void ValidateStructure(string path, JsonObject value, JsonObject shape, List<ModelViolation> violations)
    {
        var members = shape["members"]!.AsObject();
        var byWireName = new Dictionary<string, (string Name, JsonObject Member)>(StringComparer.Ordinal);
        foreach (var (name, member) in members)
        {
            byWireName[(string?)member!["locationName"] ?? name] = (name, member.AsObject());
        }

        var required = RequiredOf(shape);
        foreach (var (key, item) in value)
        {
            if (!byWireName.TryGetValue(key, out var member))
            {
                violations.Add(new ModelViolation(Join(path, key), $"Unknown member '{key}' at '{(path.Length == 0 ? "request" : path)}'"));
                continue;
            }

            var shapeName = (string)member.Member["shape"]!;
            ValidateNode(Join(path, key), item, shapeName, Shape(shapeName), violations);
        }

        foreach (var (wireName, (name, _)) in byWireName)
        {
            if (required.Contains(name) && value[wireName] is null)
            {
                violations.Add(Missing(Join(path, wireName)));
            }
        }
    }

    private void ValidateString(string path, string text, string shapeName, JsonObject shape, List<ModelViolation> violations)
    {
        if (shape["enum"] is JsonArray allowed && !allowed.Any(v => (string?)v == text))
        {
            violations.Add(new ModelViolation(
                path,
                $"Value '{text}' at '{path}' failed to satisfy constraint: Member must satisfy enum value set: [{string.Join(", ", allowed.Select(v => (string?)v))}]"));
            return;
        }

        CheckLength(path, text.Length, shape, violations, "length", text);
        if ((string?)shape["pattern"] is { } pattern && PatternFor(shapeName, pattern) is { } regex && !regex.IsMatch(text))
        {
            violations.Add(new ModelViolation(path, $"Value '{text}' at '{path}' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}"));
        }
    }

    private Regex? PatternFor(string shapeName, string pattern)
    {
        if (!_patterns.TryGetValue(shapeName, out var regex))
        {
            try
            {
                regex = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException)
            {
                // A Java-only construct: the pattern is not checked rather than rejecting valid input.
                regex = null;
            }

            _patterns[shapeName] = regex;
        }

        return regex;
    }

    private static void CheckLength(string path, int length, JsonObject shape, List<ModelViolation> violations, string what, string? text = null)
    {
        var shown = text is null ? "" : $"'{text}' ";
        if ((double?)shape["min"] is { } min && length < min)
        {
            violations.Add(new ModelViolation(path, $"Value {shown}at '{path}' failed to satisfy constraint: Member must have {what} greater than or equal to {min}"));
        }

        if ((double?)shape["max"] is { } max && length > max)
        {
            violations.Add(new ModelViolation(path, $"Value {shown}at '{path}' failed to satisfy constraint: Member must have {what} less than or equal to {max}"));
        }
    }

    private static void CheckRange(string path, double value, JsonObject shape, List<ModelViolation> violations)
    {
        if ((double?)shape["min"] is { } min && value < min)
        {
            violations.Add(new ModelViolation(path, $"Value '{value}' at '{path}' failed to satisfy constraint: Member must have value greater than or equal to {min}"));
        }

        if ((double?)shape["max"] is { } max && value > max)
        {
            violations.Add(new ModelViolation(path, $"Value '{value}' at '{path}' failed to satisfy constraint: Member must have value less than or equal to {max}"));
        }
    }

    private static ModelViolation TypeMismatch(string path, JsonNode value, string expected) =>
        new(path, $"Value '{value.ToJsonString()}' at '{path}' failed to satisfy constraint: Member must be {expected}");

    private static string Join(string path, string member) => path.Length == 0 ? member : $"{path}.{member}";

    private static (Regex Pattern, int Literals) CompileTemplate(string template)
    {
        var literals = 0;
        var pattern = "^" + string.Concat(template.Split('/').Skip(1).Select(segment =>
        {
            if (segment.StartsWith('{') && segment.EndsWith('}'))
            {
                var name = segment[1..^1];
                var greedy = name.EndsWith('+');
                name = name.TrimEnd('+');
                return $"/(?<{name}>{(greedy ? ".+" : "[^/]+")})";
            }

            literals++;
            return "/" + Regex.Escape(segment);
        })) + "$";
        if (template == "/")
        {
            pattern = "^/$";
        }

        return (new Regex(pattern, RegexOptions.CultureInvariant), literals);
    }
}
