using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace KubeSandbox.Semantics;

/// <summary>
/// The metadata checks kube-apiserver runs on every custom resource (ValidateObjectMetaAccessor with DNS-subdomain
/// names): generateName, name, namespace presence, labels and annotations, with apimachinery's messages.
/// </summary>
internal static partial class ObjectMetaValidation
{
    private const string Dns1123SubdomainMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    private const string Dns1123LabelMessage =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

    private const string QualifiedNameMessage =
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

    private const string QualifiedNameWithPrefixMessage =
        "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";

    private const string LabelValueMessage =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

    private const int TotalAnnotationSizeLimit = 256 * 1024;

    public static List<FieldError> Validate(JsonObject? metadata, bool namespaced)
    {
        var errors = new List<FieldError>();
        var name = Text(metadata, "name");
        var generateName = Text(metadata, "generateName");
        var ns = Text(metadata, "namespace");

        if (generateName.Length > 0)
        {
            foreach (var message in Dns1123Subdomain(MaskTrailingDash(generateName)))
            {
                errors.Add(FieldErrors.Invalid("metadata.generateName", JsonValue.Create(generateName), message));
            }
        }

        if (name.Length == 0)
        {
            errors.Add(FieldErrors.Required("metadata.name", "name or generateName is required"));
        }
        else
        {
            foreach (var message in Dns1123Subdomain(name))
            {
                errors.Add(FieldErrors.Invalid("metadata.name", JsonValue.Create(name), message));
            }
        }

        if (namespaced)
        {
            if (ns.Length == 0)
            {
                errors.Add(FieldErrors.Required("metadata.namespace", ""));
            }
            else
            {
                foreach (var message in Dns1123Label(ns))
                {
                    errors.Add(FieldErrors.Invalid("metadata.namespace", JsonValue.Create(ns), message));
                }
            }
        }
        else if (ns.Length > 0)
        {
            errors.Add(FieldErrors.Forbidden("metadata.namespace", "not allowed on this type"));
        }

        if (metadata?["generation"] is JsonValue generation && JsonValues.KindOf(generation) == JsonKind.Integer && JsonValues.AsInt64(generation) < 0)
        {
            errors.Add(FieldErrors.Invalid("metadata.generation", generation, "must be greater than or equal to 0"));
        }

        if (metadata?["labels"] is JsonObject labels)
        {
            foreach (var (key, value) in labels.OrderBy(p => p.Key, JsonValues.Utf8Ordinal))
            {
                foreach (var message in QualifiedName(key))
                {
                    errors.Add(FieldErrors.Invalid("metadata.labels", JsonValue.Create(key), message));
                }

                var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
                foreach (var message in LabelValue(text))
                {
                    errors.Add(FieldErrors.Invalid("metadata.labels", JsonValue.Create(text), message));
                }
            }
        }

        if (metadata?["annotations"] is JsonObject annotations)
        {
            var totalSize = 0L;
            foreach (var (key, value) in annotations.OrderBy(p => p.Key, JsonValues.Utf8Ordinal))
            {
                foreach (var message in QualifiedName(key.ToLowerInvariant()))
                {
                    errors.Add(FieldErrors.Invalid("metadata.annotations", JsonValue.Create(key), message));
                }

                var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
                totalSize += Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(text);
            }

            if (totalSize > TotalAnnotationSizeLimit)
            {
                errors.Add(FieldErrors.TooLong("metadata.annotations", $"must have at most {TotalAnnotationSizeLimit} bytes"));
            }
        }

        return errors;
    }

    private static string Text(JsonObject? metadata, string name) =>
        metadata?[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : "";

    private static string MaskTrailingDash(string name) =>
        name.Length > 1 && name.EndsWith('-') ? name[..^2] + "a" : name;

    public static List<string> Dns1123Subdomain(string value)
    {
        var errors = new List<string>();
        if (value.Length > 253)
        {
            errors.Add("must be no more than 253 characters");
        }

        if (!Dns1123SubdomainRegex().IsMatch(value))
        {
            errors.Add(Dns1123SubdomainMessage);
        }

        return errors;
    }

    private static List<string> Dns1123Label(string value)
    {
        var errors = new List<string>();
        if (value.Length > 63)
        {
            errors.Add("must be no more than 63 characters");
        }

        if (!Dns1123LabelRegex().IsMatch(value))
        {
            errors.Add(Dns1123LabelMessage);
        }

        return errors;
    }

    private static List<string> QualifiedName(string value)
    {
        var errors = new List<string>();
        var parts = value.Split('/');
        string name;
        switch (parts.Length)
        {
            case 1:
                name = parts[0];
                break;
            case 2:
                var prefix = parts[0];
                name = parts[1];
                if (prefix.Length == 0)
                {
                    errors.Add("prefix part must be non-empty");
                }
                else
                {
                    errors.AddRange(Dns1123Subdomain(prefix).Select(m => "prefix part " + m));
                }

                break;
            default:
                return [QualifiedNameWithPrefixMessage];
        }

        if (name.Length == 0)
        {
            errors.Add("name part must be non-empty");
        }
        else if (name.Length > 63)
        {
            errors.Add("name part must be no more than 63 characters");
        }

        if (!QualifiedNameRegex().IsMatch(name))
        {
            errors.Add(QualifiedNameMessage);
        }

        return errors;
    }

    private static List<string> LabelValue(string value)
    {
        var errors = new List<string>();
        if (value.Length > 63)
        {
            errors.Add("must be no more than 63 characters");
        }

        if (!LabelValueRegex().IsMatch(value))
        {
            errors.Add(LabelValueMessage);
        }

        return errors;
    }

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\z")]
    private static partial Regex Dns1123SubdomainRegex();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\z")]
    private static partial Regex Dns1123LabelRegex();

    [GeneratedRegex(@"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\z")]
    private static partial Regex QualifiedNameRegex();

    [GeneratedRegex(@"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\z")]
    private static partial Regex LabelValueRegex();
}

/// <summary>field.Error constructors of k8s.io/apimachinery: the cause reason and the error body kube-apiserver prints.</summary>
internal static class FieldErrors
{
    public static FieldError Required(string field, string detail) =>
        new("FieldValueRequired", field, WithDetail("Required value", detail));

    public static FieldError Forbidden(string field, string detail) =>
        new("FieldValueForbidden", field, WithDetail("Forbidden", detail));

    public static FieldError TooLong(string field, string detail) =>
        new("FieldValueTooLong", field, WithDetail("Too long", detail));

    public static FieldError Invalid(string field, JsonNode? value, string detail) =>
        new("FieldValueInvalid", field, WithDetail("Invalid value: " + GoFormat.BadValue(value), detail));

    public static FieldError TypeInvalid(string field, JsonNode? value, string detail) =>
        new("FieldValueTypeInvalid", field, WithDetail("Invalid value: " + GoFormat.BadValue(value), detail));

    public static FieldError NotSupported(string field, JsonNode? value, IEnumerable<string> supported)
    {
        var quoted = supported.Select(GoFormat.Quote).ToList();
        return new("FieldValueNotSupported", field, WithDetail("Unsupported value: " + GoFormat.BadValue(value), quoted.Count > 0 ? "supported values: " + string.Join(", ", quoted) : ""));
    }

    public static FieldError TooMany(string field, long actual, long max) =>
        new("FieldValueTooMany", field, WithDetail("Too many: " + actual.ToString(System.Globalization.CultureInfo.InvariantCulture), max >= 0 ? $"must have at most {max} items" : "has too many items"));

    public static FieldError Duplicate(string field, JsonNode? value) =>
        new("FieldValueDuplicate", field, "Duplicate value: " + GoFormat.BadValue(value));

    private static string WithDetail(string body, string detail) => detail.Length == 0 ? body : body + ": " + detail;
}
