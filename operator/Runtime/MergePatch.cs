using System.Text.Json.Nodes;

namespace GuardDutyCoverage.Runtime;

/// <summary>RFC 7386 JSON merge patches: computing one from two documents, and applying one.</summary>
public static class MergePatch
{
    /// <summary>
    /// The merge patch that turns <paramref name="original"/> into <paramref name="modified"/>: changed and added keys
    /// with their new values, removed keys as null, arrays and scalars replaced whole. Null when they are equal.
    /// Both are normally objects; for anything else the patch is <paramref name="modified"/> itself.
    /// </summary>
    public static JsonNode? Create(JsonNode? original, JsonNode? modified)
    {
        if (original is JsonObject from && modified is JsonObject to)
        {
            var patch = new JsonObject();
            foreach (var (key, value) in from)
            {
                if (!to.ContainsKey(key))
                {
                    patch[key] = null;
                }
            }

            foreach (var (key, value) in to)
            {
                if (!from.TryGetPropertyValue(key, out var old))
                {
                    patch[key] = value?.DeepClone();
                    continue;
                }

                if (old is JsonObject && value is JsonObject)
                {
                    if (Create(old, value) is { } nested)
                    {
                        patch[key] = nested;
                    }
                }
                else if (!JsonNode.DeepEquals(old, value))
                {
                    // A null here would mean "remove": a key present with a JSON null is sent as null, which removes it.
                    patch[key] = value?.DeepClone();
                }
            }

            return patch.Count == 0 ? null : patch;
        }

        if (JsonNode.DeepEquals(original, modified))
        {
            return null;
        }

        // Only object members can be removed by a merge patch; a whole document cannot be patched into "absent".
        return modified?.DeepClone() ?? throw new ArgumentException("a merge patch cannot remove the whole document", nameof(modified));
    }

    /// <summary>Applies <paramref name="patch"/> to <paramref name="target"/> (RFC 7386 MergePatch); returns the result.</summary>
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target is JsonObject targetObject ? (JsonObject)targetObject.DeepClone() : new JsonObject();
        foreach (var (key, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(key);
            }
            else
            {
                result.TryGetPropertyValue(key, out var existing);
                result[key] = Apply(existing, value);
            }
        }

        return result;
    }
}
