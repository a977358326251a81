using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using KubeSandbox.Json;
using KubeSandbox.Storage;
using KubeSandbox.Tables;

namespace KubeSandbox.Http;

/// <summary>Watch: a chunked stream of newline-delimited JSON events, with bookmarks and a server-side timeout.</summary>
internal sealed partial class ApiHandler
{
    private static readonly byte[] Newline = "\n"u8.ToArray();

    private async Task WatchAsync(ApiRequest request)
    {
        var resource = request.Resource;
        var filter = Filter(request);
        var rvText = request.Query("resourceVersion");
        ValidateListOptions(rvText ?? string.Empty, request.Query("resourceVersionMatch") ?? string.Empty, request.Query("continue") ?? string.Empty, watch: true);
        long? fromRv = string.IsNullOrEmpty(rvText) || rvText == "0" ? null : ParseRv(rvText);
        var timeout = _options.DefaultWatchTimeout;
        if (request.Query("timeoutSeconds") is { Length: > 0 } timeoutText)
        {
            if (!long.TryParse(timeoutText, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            {
                throw ApiErrors.BadRequest($"timeoutSeconds: Invalid value: \"{timeoutText}\": must be a non-negative integer");
            }

            timeout = TimeSpan.FromSeconds(seconds);
        }

        var bookmarks = request.QueryFlag("allowWatchBookmarks");
        var versionMarker = $"\"apiVersion\":\"{resource.ApiVersion}\"";
        var asTable = WantsTable(request.Http);
        var include = IncludeMode(request);
        string Present(string stored)
        {
            if (asTable)
            {
                // kubectl get --watch: every event carries a one-row Table, as the server prints it.
                var obj = resource.Present((JsonObject)JsonNode.Parse(stored)!);
                var rv = JsonUtil.GetString(obj, "metadata", "resourceVersion") ?? string.Empty;
                return JsonUtil.Serialize(TableBuilder.Build(resource, [obj], rv, null, Time.GetUtcNow(), include));
            }

            return !resource.ConvertsFields && stored.Contains(versionMarker, StringComparison.Ordinal)
                ? stored
                : JsonUtil.Serialize(resource.Present((JsonObject)JsonNode.Parse(stored)!));
        }

        var start = Store.Watch(resource.StorageKey, filter, fromRv, resource.ApiVersion, resource.Kind, Present);
        var http = request.Http;
        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/json";
        http.Response.Headers.CacheControl = "no-cache, private";
        if (start.Subscription is null)
        {
            // Too old for the watch cache: HTTP 200 and a single ERROR event (k8s-golden 35).
            await http.Response.StartAsync(request.Aborted).ConfigureAwait(false);
            var status = ApiErrors.Status(410, "Expired", $"too old resource version: {fromRv} ({start.TooOldStart})", null);
            await WriteLineAsync(http.Response.Body, WatchMessage.Event("ERROR", status.ToJsonString()).Line!, request.Aborted).ConfigureAwait(false);
            return;
        }

        // Timers start before the response headers go out, so a client that has the headers can rely on them.
        using var subscription = start.Subscription;
        using var deadline = new CancellationTokenSource(timeout, Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, request.Aborted);
        var watchDeadline = Time.GetUtcNow() + timeout;
        // The next bookmark is scheduled when one falls due, in the timer's callback (on a fake clock: inside the
        // Advance that made it due), not after it was written: a client that reads the bookmark and moves the clock
        // at once would otherwise race the re-arming and lose the bookmark 2s before the timeout.
        ITimer? bookmarkTimer = null;
        bookmarkTimer = bookmarks
            ? Time.CreateTimer(
                _ =>
                {
                    EnqueueBookmark(subscription);
                    ScheduleBookmark(bookmarkTimer, watchDeadline, Time.GetUtcNow());
                },
                null,
                Timeout.InfiniteTimeSpan,
                Timeout.InfiniteTimeSpan)
            : null;
        using var bookmarkTimerScope = bookmarkTimer;
        ScheduleBookmark(bookmarkTimer, watchDeadline, null);
        await http.Response.StartAsync(request.Aborted).ConfigureAwait(false);
        // Writes take only the client's token: cancelling a write in flight makes Kestrel abort the connection,
        // and a timeout must end the stream cleanly.
        var body = http.Response.Body;
        await body.FlushAsync(request.Aborted).ConfigureAwait(false);
        try
        {
            var reader = subscription.Reader;
            while (await reader.WaitToReadAsync(linked.Token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var message))
                {
                    if (message.End)
                    {
                        if (message.Abort)
                        {
                            http.Abort();
                        }

                        return;
                    }

                    await WriteLineAsync(body, message.Line!, request.Aborted).ConfigureAwait(false);
                }

                await body.FlushAsync(request.Aborted).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested || request.Aborted.IsCancellationRequested)
        {
            // Timeout: the server ends the stream; client gone: nothing to do.
        }
    }

    /// <summary>kube-apiserver sends a bookmark every interval and once 2s before the watch times out, if that is still ahead.</summary>
    private void ScheduleBookmark(ITimer? timer, DateTimeOffset deadline, DateTimeOffset? lastSent)
    {
        if (timer is null)
        {
            return;
        }

        var now = Time.GetUtcNow();
        var next = now + _options.BookmarkInterval;
        var beforeTimeout = deadline - TimeSpan.FromSeconds(2);
        if (beforeTimeout < next)
        {
            next = beforeTimeout;
        }

        // A bookmark due now or earlier is not sent: a watch of 2 s or less gets none (k8s-golden 94).
        if (next <= now || (lastSent is not null && next <= lastSent))
        {
            timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        timer.Change(next - now, Timeout.InfiniteTimeSpan);
    }

    private void EnqueueBookmark(WatchSubscription subscription)
    {
        // The watch cache's RV of the resource (the last event it processed), under the store's lock, so that no
        // event at or below the bookmark's RV can be queued after it.
        Store.WithCacheRv(subscription.Resource, current =>
        {
            if (current == 0)
            {
                // kube-apiserver sends no bookmark before its cache has processed a revision.
                return;
            }

            var rv = current.ToString(CultureInfo.InvariantCulture);
            var bookmark = $"{{\"apiVersion\":\"{subscription.ApiVersion}\",\"kind\":\"{subscription.Kind}\",\"metadata\":{{\"resourceVersion\":\"{rv}\"}}}}";
            subscription.Enqueue(WatchMessage.Event("BOOKMARK", bookmark));
        });
    }

    private static async Task WriteLineAsync(Stream body, string line, CancellationToken cancellationToken)
    {
        await body.WriteAsync(Encoding.UTF8.GetBytes(line), cancellationToken).ConfigureAwait(false);
        await body.WriteAsync(Newline, cancellationToken).ConfigureAwait(false);
    }
}
