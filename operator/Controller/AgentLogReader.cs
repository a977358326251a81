using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Runtime;
using Microsoft.Extensions.Logging;

namespace GuardDutyCoverage.Controller;

/// <summary>
/// <c>--read-agent-logs</c>: the previous logs of crash-looping agent containers, the only place kernel causes (BTF,
/// eBPF load errors) show when the termination message is empty. A few pods, a few lines each, only when something
/// crash-loops; a log that cannot be read is simply absent (the diagnosis falls back to the pod status).
/// </summary>
public sealed class AgentLogReader(KubeApiClient client, ILogger logger)
{
    public const int MaxPods = 3;
    public const int TailLines = 50;
    public const int LimitBytes = 16 * 1024;

    public async Task<IReadOnlyDictionary<string, string>?> ReadAsync(DiagnosisTarget target, ClusterObjects objects, CancellationToken cancellationToken)
    {
        var crashing = objects.AgentNamespacePods
            .Where(p => p.Status?.ContainerStatuses?.Any(s => s.Name == Catalog.AgentContainerName && s.State?.Waiting?.Reason == "CrashLoopBackOff") == true)
            .Take(MaxPods)
            .ToList();
        if (crashing.Count == 0)
        {
            return null;
        }

        var logs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pod in crashing)
        {
            var name = pod.Metadata?.Name;
            if (name is null)
            {
                continue;
            }

            try
            {
                var text = await client.GetPodLogAsync(target.AgentNamespace, name, Catalog.AgentContainerName, previous: true, TailLines, LimitBytes, cancellationToken).ConfigureAwait(false);
                if (!string.IsNullOrEmpty(text))
                {
                    logs[name] = text;
                }
            }
            catch (Exception e) when (e is KubeApiException or HttpRequestException or TimeoutException)
            {
                logger.LogDebug("cannot read the previous log of {Namespace}/{Pod}: {Message}", target.AgentNamespace, name, e.Message);
            }
        }

        return logs.Count == 0 ? null : logs;
    }
}
