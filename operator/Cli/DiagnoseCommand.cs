using System.CommandLine;
using GuardDutyCoverage.Diagnosis;

namespace GuardDutyCoverage.Cli;

/// <summary>What <c>diagnose</c> needs from its surroundings; tests replace it.</summary>
/// <param name="Time">The clock of the diagnosis.</param>
/// <param name="StdoutIsTerminal">True when standard output is a terminal (colour is then allowed).</param>
/// <param name="GetEnvironmentVariable">Environment lookup (NO_COLOR).</param>
public sealed record DiagnoseEnvironment(TimeProvider Time, Func<bool> StdoutIsTerminal, Func<string, string?> GetEnvironmentVariable)
{
    public static DiagnoseEnvironment System { get; } =
        new(TimeProvider.System, () => !Console.IsOutputRedirected, Environment.GetEnvironmentVariable);
}

/// <summary>The live mode's flags, handed to the live snapshot source the runtime provides.</summary>
public sealed record LiveTarget(string? Kubeconfig, string? Context);

/// <summary>
/// <c>guardduty-coverage diagnose</c>: one diagnosis with the operator's engine, offline on a support bundle
/// (<c>--bundle DIR</c>) or, once wired with a live source, against a cluster. Exit 0 healthy, 1 unhealthy or
/// undecided, 2 usage error or nothing to diagnose.
/// </summary>
public static class DiagnoseCommand
{
    public const int ExitHealthy = 0;
    public const int ExitUnhealthy = 1;
    public const int ExitUsage = 2;

    /// <param name="liveSource">Creates the live snapshot source; null until the runtime provides one (then --bundle is required).</param>
    public static Command Create(Func<LiveTarget, ISnapshotSource>? liveSource = null, DiagnoseEnvironment? environment = null)
    {
        var env = environment ?? DiagnoseEnvironment.System;
        var bundle = new Option<DirectoryInfo?>("--bundle") { Description = "Diagnose offline: a directory of kubectl get -o yaml|json files and AWS CLI JSON output (list-coverage, get-detector, describe-addon, describe-cluster, ...)." };
        var clusterName = new Option<string?>("--cluster-name") { Description = "EKS cluster name as GuardDuty knows it; required unless the bundle names exactly one cluster." };
        var region = new Option<string?>("--region") { Description = "AWS region of the cluster (default: from the bundle's ARNs or GuardDutyCoverage)." };
        var output = new Option<string>("--output", "-o") { Description = "Output format.", DefaultValueFactory = _ => "table" };
        output.AcceptOnlyFromAmong("table", "json", "yaml");

        var command = new Command("diagnose", "Explain GuardDuty EKS Runtime Monitoring coverage of one cluster: findings, sources, fixes.");
        command.Options.Add(bundle);
        command.Options.Add(clusterName);
        command.Options.Add(region);
        command.Options.Add(output);
        var thresholds = new ThresholdFlags();
        thresholds.AddTo(command);

        Option<string?>? kubeconfig = null;
        Option<string?>? context = null;
        if (liveSource is not null)
        {
            kubeconfig = new Option<string?>("--kubeconfig") { Description = "kubeconfig file for a live diagnosis (default: in-cluster or KUBECONFIG)." };
            context = new Option<string?>("--context") { Description = "kubeconfig context for a live diagnosis." };
            command.Options.Add(kubeconfig);
            command.Options.Add(context);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            (TimeSpan AddonStuckAfter, TimeSpan CoverageStaleAfter) limits;
            try
            {
                limits = thresholds.Parse(parse);
            }
            catch (CliException e)
            {
                await stderr.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return ExitUsage;
            }

            var bundleDirectory = parse.GetValue(bundle);
            ISnapshotSource source;
            if (bundleDirectory is not null)
            {
                source = new BundleSnapshotSource(bundleDirectory.FullName);
            }
            else if (liveSource is not null)
            {
                source = liveSource(new LiveTarget(parse.GetValue(kubeconfig!), parse.GetValue(context!)));
            }
            else
            {
                await stderr.WriteLineAsync("error: --bundle DIR is required (live diagnosis is not available in this build)").ConfigureAwait(false);
                return ExitUsage;
            }

            var request = new SnapshotRequest(parse.GetValue(clusterName), parse.GetValue(region), env.Time.GetUtcNow());
            SnapshotLoadResult loaded;
            try
            {
                loaded = await source.LoadAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                await stderr.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return ExitUsage;
            }

            foreach (var error in loaded.Options.InputErrors)
            {
                await stderr.WriteLineAsync($"warning: skipped {error.File}: {error.Message}").ConfigureAwait(false);
            }

            if (loaded.Snapshot is null)
            {
                await stderr.WriteLineAsync($"error: {loaded.UsageError ?? "nothing to diagnose"}").ConfigureAwait(false);
                return ExitUsage;
            }

            var snapshot = loaded.Snapshot with { Target = ThresholdFlags.Apply(loaded.Snapshot.Target, limits) };
            var report = DiagnosisEngine.Diagnose(snapshot, loaded.Options);
            var text = parse.GetValue(output) switch
            {
                "json" => ReportWriter.Json(report),
                "yaml" => ReportWriter.Yaml(report),
                _ => ReportWriter.Table(report, color: env.StdoutIsTerminal() && string.IsNullOrEmpty(env.GetEnvironmentVariable("NO_COLOR"))),
            };
            await stdout.WriteAsync(text).ConfigureAwait(false);
            return report.Coverage == Verdicts.Healthy ? ExitHealthy : ExitUnhealthy;
        });
        return command;
    }
}
