using System.Text.Json.Nodes;
using KubeSandbox.Authorization;

namespace KubeSandbox.Testing;

/// <summary>Simple generic webhook behaviours.</summary>
public static class WebhookBehaviors
{
    public static WebhookBehavior AllowAll() => (_, _) => ValueTask.FromResult(WebhookReply.Allow());

    public static WebhookBehavior DenyAll(string message, int? code = 403, string? reason = null) =>
        (_, _) => ValueTask.FromResult(WebhookReply.Deny(message, code, reason));

    /// <summary>A mutating behaviour that sets the given labels on the incoming object with a JSON patch.</summary>
    public static WebhookBehavior AddLabels(IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return (review, _) =>
        {
            if (review.Object is not { } obj)
            {
                return ValueTask.FromResult(WebhookReply.Allow());
            }

            var existing = JsonRead.Labels(obj);
            var operations = new JsonArray();
            if ((obj["metadata"] as JsonObject)?["labels"] is not JsonObject)
            {
                operations.Add(new JsonObject { ["op"] = "add", ["path"] = "/metadata/labels", ["value"] = new JsonObject() });
            }

            foreach (var (key, value) in labels)
            {
                if (existing.TryGetValue(key, out var current) && current == value)
                {
                    continue;
                }

                var pointer = "/metadata/labels/" + key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
                operations.Add(new JsonObject { ["op"] = "add", ["path"] = pointer, ["value"] = value });
            }

            return ValueTask.FromResult(operations.Count == 0 ? WebhookReply.Allow() : WebhookReply.Patch(operations));
        };
    }
}
