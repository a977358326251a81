using System.Text.Json.Nodes;
using KubeSandbox.Storage;

namespace KubeSandbox.Resources;

/// <summary>A resource whose objects are stored as another resource's (kube-apiserver's internal version plus conversion).</summary>
internal abstract class StorageConverter
{
    public abstract ResourceKey StorageKey { get; }

    public abstract JsonObject ToStorage(JsonObject presented);

    public abstract JsonObject FromStorage(JsonObject stored, string apiVersion);
}

/// <summary>
/// events.k8s.io events are core/v1 events with renamed fields (k8s.io/kubernetes/pkg/apis/events/v1 conversion):
/// regarding = involvedObject, note = message, reportingController = reportingComponent, deprecated* = the old fields.
/// </summary>
internal sealed class EventsConverter : StorageConverter
{
    private static readonly (string Events, string Core)[] Renamed =
    [
        ("regarding", "involvedObject"),
        ("note", "message"),
        ("reportingController", "reportingComponent"),
        ("deprecatedSource", "source"),
        ("deprecatedFirstTimestamp", "firstTimestamp"),
        ("deprecatedLastTimestamp", "lastTimestamp"),
        ("deprecatedCount", "count"),
    ];

    private static readonly string[] Shared = ["eventTime", "series", "action", "reason", "related", "reportingInstance", "type"];

    public override ResourceKey StorageKey { get; } = new(string.Empty, "events");

    public override JsonObject ToStorage(JsonObject presented) => Map(presented, "v1", toCore: true);

    public override JsonObject FromStorage(JsonObject stored, string apiVersion) => Map(stored, apiVersion, toCore: false);

    private static JsonObject Map(JsonObject source, string apiVersion, bool toCore)
    {
        var result = new JsonObject { ["kind"] = "Event", ["apiVersion"] = apiVersion };
        if (source["metadata"] is { } metadata)
        {
            result["metadata"] = metadata.DeepClone();
        }

        foreach (var (events, core) in Renamed)
        {
            var (from, to) = toCore ? (events, core) : (core, events);
            if (source.TryGetPropertyValue(from, out var value) && value is not null)
            {
                result[to] = value.DeepClone();
            }
        }

        foreach (var field in Shared)
        {
            if (source.TryGetPropertyValue(field, out var value) && value is not null)
            {
                result[field] = value.DeepClone();
            }
        }

        // The conversion goes through the Go types: the target's omitempty and always-written fields apply
        // (events.k8s.io drops an empty reportingController, keeps eventTime: null; k8s-golden 114).
        var group = apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion[..apiVersion.IndexOf('/', StringComparison.Ordinal)] : string.Empty;
        var version = apiVersion[(apiVersion.IndexOf('/', StringComparison.Ordinal) + 1)..];
        Semantics.BuiltinObjects.Normalize(result, new ResourceInfo(group, version, "events", "Event", true, "event", [], [], false));
        return result;
    }
}
