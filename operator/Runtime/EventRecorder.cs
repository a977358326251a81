using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using k8s.Models;

namespace GuardDutyCoverage.Runtime;

public sealed record EventRecorderOptions
{
    /// <summary>The controller's name in every Event (e.g. <c>coverage.guardduty.io/operator</c>).</summary>
    public required string ReportingController { get; init; }

    /// <summary>This process (e.g. the pod name).</summary>
    public required string ReportingInstance { get; init; }

    /// <summary>A repeat within this time of the last occurrence updates the Event's series instead of creating another.</summary>
    public TimeSpan SeriesWindow { get; init; } = TimeSpan.FromMinutes(6);

    /// <summary>Bound on remembered Events; the least recently seen are forgotten first.</summary>
    public int MaxTrackedEvents { get; init; } = 4096;
}

public static class EventTypes
{
    public const string Normal = "Normal";
    public const string Warning = "Warning";
}

/// <summary>
/// Records <c>events.k8s.io/v1</c> Events. A repeat of the same (regarding, type, reason, note) within the series
/// window becomes a <c>series</c> update (count, lastObservedTime) of the existing Event instead of a new one.
/// Recording never fails the caller: errors are logged and dropped.
/// </summary>
public sealed class EventRecorder
{
    private const int MaxNoteBytes = 1024;
    private const int MaxShortField = 128;

    private readonly KubeApiClient client;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly Lock gate = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> recency = new();

    public EventRecorder(KubeApiClient client, EventRecorderOptions options, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(options.ReportingController);
        ArgumentException.ThrowIfNullOrEmpty(options.ReportingInstance);
        if (options.MaxTrackedEvents < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "MaxTrackedEvents must be positive");
        }

        this.client = client;
        Options = options;
        time = timeProvider ?? TimeProvider.System;
        this.logger = logger ?? NullLogger.Instance;
    }

    public EventRecorderOptions Options { get; }

    /// <summary>Events currently remembered for de-duplication.</summary>
    public int TrackedCount
    {
        get
        {
            lock (gate)
            {
                return entries.Count;
            }
        }
    }

    public Task NormalAsync(V1ObjectReference regarding, string reason, string action, string note, CancellationToken cancellationToken = default) =>
        RecordAsync(regarding, EventTypes.Normal, reason, action, note, cancellationToken);

    public Task WarningAsync(V1ObjectReference regarding, string reason, string action, string note, CancellationToken cancellationToken = default) =>
        RecordAsync(regarding, EventTypes.Warning, reason, action, note, cancellationToken);

    /// <summary>Creates the Event, or updates the series of its earlier occurrence. Never throws.</summary>
    public async Task RecordAsync(V1ObjectReference regarding, string type, string reason, string action, string note, CancellationToken cancellationToken = default)
    {
        if (regarding?.Name is not { Length: > 0 } || type is not (EventTypes.Normal or EventTypes.Warning) || string.IsNullOrEmpty(reason) || string.IsNullOrEmpty(action))
        {
            logger.LogWarning("Dropping an invalid event (regarding {Name}, type {Type}, reason {Reason}, action {Action})", regarding?.Name, type, reason, action);
            return;
        }

        reason = Truncate(reason, MaxShortField);
        action = Truncate(action, MaxShortField);
        note = TruncateUtf8(note ?? "", MaxNoteBytes);
        var now = MicroTime.Truncate(time.GetUtcNow());
        var key = string.Join('\u0001', regarding.ApiVersion, regarding.Kind, regarding.NamespaceProperty, regarding.Name, regarding.Uid, type, reason, note);

        Entry entry;
        int count;
        lock (gate)
        {
            if (entries.TryGetValue(key, out var node) && now - node.Value.LastObserved <= Options.SeriesWindow)
            {
                entry = node.Value;
                entry.Count++;
                entry.LastObserved = now;
                recency.Remove(node);
                recency.AddFirst(node);
            }
            else
            {
                if (node is not null)
                {
                    recency.Remove(node);
                    entries.Remove(key);
                }

                entry = new Entry(key, regarding.NamespaceProperty is { Length: > 0 } ns ? ns : "default", EventName(regarding.Name, now), now);
                entries[key] = recency.AddFirst(entry);
                while (entries.Count > Options.MaxTrackedEvents && recency.Last is { } oldest)
                {
                    recency.RemoveLast();
                    entries.Remove(oldest.Value.Key);
                }
            }

            count = entry.Count;
        }

        // One request at a time per Event keeps the series count monotonic on the server.
        try
        {
            await entry.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            if (count > 1 && entry.Created)
            {
                if (await UpdateSeriesAsync(entry, count, now, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                // The Event expired (1 h TTL) or was deleted: start over with a new one.
                entry.Name = EventName(regarding.Name, now);
                entry.FirstSeen = now;
            }

            await CreateAsync(entry, regarding, type, reason, action, note, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            logger.LogWarning("Could not record event {Reason} for {Kind} {Name}: {Message}", reason, regarding.Kind, regarding.Name, e.Message);
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    private async Task CreateAsync(Entry entry, V1ObjectReference regarding, string type, string reason, string action, string note, CancellationToken cancellationToken)
    {
        var ev = new Eventsv1Event
        {
            ApiVersion = KubeResources.Events.ApiVersion,
            Kind = KubeResources.Events.Kind,
            Metadata = new V1ObjectMeta { Name = entry.Name, NamespaceProperty = entry.Namespace },
            Regarding = regarding,
            Type = type,
            Reason = reason,
            Action = action,
            Note = note,
            EventTime = entry.FirstSeen,
            ReportingController = Options.ReportingController,
            ReportingInstance = Options.ReportingInstance,
        };
        await client.CreateAsync(KubeResources.Events, ev, null, cancellationToken).ConfigureAwait(false);
        entry.Created = true;
    }

    private async Task<bool> UpdateSeriesAsync(Entry entry, int count, DateTime lastObserved, CancellationToken cancellationToken)
    {
        var patch = new JsonObject
        {
            ["series"] = new JsonObject
            {
                ["count"] = count,
                ["lastObservedTime"] = MicroTime.ToString(lastObserved),
            },
        };
        try
        {
            await client.PatchAsync(KubeResources.Events, entry.Name, entry.Namespace, KubePatch.Merge(patch), null, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
            return false;
        }
    }

    /// <summary>client-go's naming: the regarding object's name and the first occurrence in hex nanoseconds.</summary>
    private static string EventName(string regardingName, DateTime firstSeen) =>
        regardingName + "." + ((firstSeen.Ticks - DateTime.UnixEpoch.Ticks) * 100).ToString("x", System.Globalization.CultureInfo.InvariantCulture);

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max];

    private static string TruncateUtf8(string text, int maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(text) <= maxBytes)
        {
            return text;
        }

        var builder = new StringBuilder();
        var bytes = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (bytes + rune.Utf8SequenceLength > maxBytes)
            {
                break;
            }

            bytes += rune.Utf8SequenceLength;
            builder.Append(rune.ToString());
        }

        return builder.ToString();
    }

    private sealed class Entry(string key, string namespaceName, string name, DateTime firstSeen)
    {
        public string Key { get; } = key;

        public string Namespace { get; } = namespaceName;

        public string Name { get; set; } = name;

        public DateTime FirstSeen { get; set; } = firstSeen;

        public DateTime LastObserved { get; set; } = firstSeen;

        public int Count { get; set; } = 1;

        public bool Created { get; set; }

        public SemaphoreSlim Gate { get; } = new(1, 1);
    }
}
