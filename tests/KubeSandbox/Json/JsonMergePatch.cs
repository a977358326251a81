using System.Text.Json.Nodes;

namespace KubeSandbox.Json;

/// <summary>
/// JSON merge patch as RFC 7386 section 2 defines it, for <c>application/merge-patch+json</c>: a patch that is an object
/// merges member by member (null removes a member, an object merges into an object, anything else replaces), a patch
/// that is not an object replaces the whole target. Written from the RFC, independently of the operator's
/// implementation; both are checked against tests/testdata/merge-patch/vectors.json (the RFC's examples and
/// kube-apiserver v1.24 exchanges).
/// </summary>
public static class JsonMergePatch
{
    /// <summary>The target with the patch applied; neither argument is changed.</summary>
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject members)
        {
            return patch?.DeepClone();
        }

        // A non-object target is replaced by an empty object first (the RFC's "Target = {}").
        var original = target as JsonObject;
        var merged = new JsonObject();

        // The target's members keep their order (what a client reads back looks like what it stored); a member the
        // patch names is merged in place or left out when the patch says null.
        if (original is not null)
        {
            foreach (var (name, value) in original)
            {
                if (!members.TryGetPropertyValue(name, out var change))
                {
                    merged.Add(name, value?.DeepClone());
                }
                else if (change is not null)
                {
                    merged.Add(name, Apply(value, change));
                }
            }
        }

        // Members only the patch has are added after them, in the patch's order; a null for an absent member is a no-op.
        foreach (var (name, change) in members)
        {
            if (change is not null && (original is null || !original.ContainsKey(name)))
            {
                merged.Add(name, Apply(null, change));
            }
        }

        return merged;
    }
}
