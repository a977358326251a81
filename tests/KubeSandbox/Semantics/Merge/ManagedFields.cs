using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace KubeSandbox.Semantics;

/// <summary>One metadata.managedFields entry: who manages which fields, through which operation.</summary>
internal sealed class ManagedEntry
{
    public const string Apply = "Apply";
    public const string Update = "Update";

    public required string Manager { get; init; }

    public required string Operation { get; init; }

    public required string ApiVersion { get; init; }

    public string? Subresource { get; init; }

    public DateTimeOffset? Time { get; set; }

    public required FieldSet Set { get; set; }

    /// <summary>
    /// The identity of an entry, as kube-apiserver builds it (the JSON of the entry without fields and time, and without
    /// apiVersion for appliers): one entry per manager, operation, subresource and, for updaters, apiVersion.
    /// </summary>
    public string Identifier => IdentifierOf(Manager, Operation, ApiVersion, Subresource);

    public static string IdentifierOf(string manager, string operation, string apiVersion, string? subresource)
    {
        var builder = new StringBuilder("{");
        var first = true;
        void Member(string name, string value)
        {
            if (value.Length == 0)
            {
                return;
            }

            if (!first)
            {
                builder.Append(',');
            }

            first = false;
            JsonValues.WriteGoJsonString(builder, name);
            builder.Append(':');
            JsonValues.WriteGoJsonString(builder, value);
        }

        Member("manager", manager);
        Member("operation", operation);
        Member("apiVersion", operation == Apply ? "" : apiVersion);
        Member("subresource", subresource ?? "");
        return builder.Append('}').ToString();
    }
}

/// <summary>Reads and writes metadata.managedFields.</summary>
internal static class ManagedFieldsCodec
{
    /// <summary>The entries of a managedFields array, keyed by identifier.</summary>
    /// <exception cref="FormatException">An entry is not a valid FieldsV1 entry.</exception>
    public static Dictionary<string, ManagedEntry> Decode(JsonNode? managedFields)
    {
        var entries = new Dictionary<string, ManagedEntry>(StringComparer.Ordinal);
        if (managedFields is null)
        {
            return entries;
        }

        if (managedFields is not JsonArray array)
        {
            throw new FormatException("metadata.managedFields must be a list");
        }

        foreach (var item in array)
        {
            if (item is not JsonObject entry)
            {
                throw new FormatException("a managedFields entry must be an object");
            }

            var fieldsType = Text(entry, "fieldsType");
            if (fieldsType != "FieldsV1")
            {
                throw new FormatException($"error decoding versioned set: invalid fieldsType {GoFormat.Quote(fieldsType ?? "")}");
            }

            DateTimeOffset? time = null;
            if (Text(entry, "time") is { } timeText)
            {
                if (!DateTimeOffset.TryParse(timeText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                {
                    throw new FormatException($"invalid managedFields time {GoFormat.Quote(timeText)}");
                }

                time = parsed;
            }

            var decoded = new ManagedEntry
            {
                Manager = Text(entry, "manager") ?? "",
                Operation = Text(entry, "operation") ?? "",
                ApiVersion = Text(entry, "apiVersion") ?? "",
                Subresource = Text(entry, "subresource") is { Length: > 0 } subresource ? subresource : null,
                Time = time,
                Set = FieldSet.FromFieldsV1(entry["fieldsV1"] ?? new JsonObject()),
            };
            entries[decoded.Identifier] = decoded;
        }

        return entries;
    }

    private static string? Text(JsonObject entry, string name)
    {
        if (entry[name] is not JsonValue value)
        {
            return null;
        }

        return value.TryGetValue<string>(out var text) ? text : throw new FormatException($"managedFields {name} must be a string");
    }

    /// <summary>A managedFields array that asks to clear the managed fields: a single empty entry.</summary>
    public static bool IsReset(JsonNode? managedFields) => managedFields is JsonArray { Count: 1 } array && array[0] is JsonObject { Count: 0 };

    /// <summary>
    /// The managedFields array, sorted as kube-apiserver sorts it (operation, then time to the second, manager,
    /// apiVersion, subresource). Built-in kinds list an entry's members in the Go struct order, custom resources
    /// (served from unstructured maps) alphabetically.
    /// </summary>
    public static JsonArray Encode(IEnumerable<ManagedEntry> entries, bool customResource)
    {
        var sorted = entries
            .OrderBy(e => e.Operation, StringComparer.Ordinal)
            .ThenBy(e => e.Time?.ToUnixTimeSeconds() ?? 0)
            .ThenBy(e => e.Manager, JsonValues.Utf8Ordinal)
            .ThenBy(e => e.ApiVersion, StringComparer.Ordinal)
            .ThenBy(e => e.Subresource ?? "", StringComparer.Ordinal);
        var array = new JsonArray();
        foreach (var entry in sorted)
        {
            var members = new List<KeyValuePair<string, JsonNode?>>();
            if (entry.Manager.Length > 0)
            {
                members.Add(new("manager", entry.Manager));
            }

            members.Add(new("operation", entry.Operation));
            if (entry.ApiVersion.Length > 0)
            {
                members.Add(new("apiVersion", entry.ApiVersion));
            }

            if (entry.Time is { } time)
            {
                members.Add(new("time", time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)));
            }

            members.Add(new("fieldsType", "FieldsV1"));
            members.Add(new("fieldsV1", entry.Set.ToFieldsV1()));
            if (entry.Subresource is not null)
            {
                members.Add(new("subresource", entry.Subresource));
            }

            if (customResource)
            {
                members.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            }

            array.Add(new JsonObject(members));
        }

        return array;
    }
}
