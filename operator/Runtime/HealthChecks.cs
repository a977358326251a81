using System.Collections.Concurrent;
using System.Text;

namespace GuardDutyCoverage.Runtime;

public readonly record struct HealthCheckResult(bool Healthy, string? Reason)
{
    public static HealthCheckResult Ok { get; } = new(true, null);

    public static HealthCheckResult Fail(string reason) => new(false, reason);
}

/// <summary>
/// Named liveness (<c>/healthz</c>) and readiness (<c>/readyz</c>) checks, answered like controller-runtime and the
/// API server do: <c>ok</c>, or 500 with one <c>[+]name ok</c> / <c>[-]name failed: reason</c> line per check.
/// </summary>
public sealed class HealthChecks
{
    private readonly ConcurrentDictionary<string, Func<HealthCheckResult>> liveness = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Func<HealthCheckResult>> readiness = new(StringComparer.Ordinal);

    public HealthChecks()
    {
        AddLivenessCheck("ping", () => HealthCheckResult.Ok);
        AddReadinessCheck("ping", () => HealthCheckResult.Ok);
    }

    public void AddLivenessCheck(string name, Func<HealthCheckResult> check) => Add(liveness, name, check);

    public void AddReadinessCheck(string name, Func<HealthCheckResult> check) => Add(readiness, name, check);

    public HealthReport CheckLiveness(bool verbose = false, IReadOnlyCollection<string>? exclude = null, string? only = null) =>
        Run("healthz", liveness, verbose, exclude, only);

    public HealthReport CheckReadiness(bool verbose = false, IReadOnlyCollection<string>? exclude = null, string? only = null) =>
        Run("readyz", readiness, verbose, exclude, only);

    private static void Add(ConcurrentDictionary<string, Func<HealthCheckResult>> checks, string name, Func<HealthCheckResult> check)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_' and not '.'))
        {
            throw new ArgumentException($"invalid health check name \"{name}\"", nameof(name));
        }

        if (!checks.TryAdd(name, check))
        {
            throw new ArgumentException($"a health check named \"{name}\" already exists", nameof(name));
        }
    }

    private static HealthReport Run(string endpoint, ConcurrentDictionary<string, Func<HealthCheckResult>> checks, bool verbose, IReadOnlyCollection<string>? exclude, string? only)
    {
        if (only is not null && !checks.ContainsKey(only))
        {
            return new HealthReport(false, 404, $"no {endpoint} check named \"{only}\"\n");
        }

        var body = new StringBuilder();
        var healthy = true;
        foreach (var (name, check) in checks.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            if ((only is not null && name != only) || (only is null && exclude?.Contains(name) == true))
            {
                continue;
            }

            HealthCheckResult result;
            try
            {
                result = check();
            }
            catch (Exception e)
            {
                result = HealthCheckResult.Fail(e.Message);
            }

            healthy &= result.Healthy;
            body.Append(result.Healthy ? $"[+]{name} ok\n" : $"[-]{name} failed: {result.Reason}\n");
        }

        if (healthy && !verbose)
        {
            return new HealthReport(true, 200, "ok");
        }

        body.Append(healthy ? $"{endpoint} check passed\n" : $"{endpoint} check failed\n");
        return new HealthReport(healthy, healthy ? 200 : 500, body.ToString());
    }
}

public sealed record HealthReport(bool Healthy, int StatusCode, string Body);
