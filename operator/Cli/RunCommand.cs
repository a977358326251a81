using System.CommandLine;
using System.Runtime.InteropServices;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Controller;
using GuardDutyCoverage.Runtime;
using GuardDutyCoverage.Util;

namespace GuardDutyCoverage.Cli;

/// <summary><c>guardduty-coverage run</c>: the operator.</summary>
public static class RunCommand
{
    public static Command Create()
    {
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "kubeconfig file (default: KUBECONFIG, in-cluster, ~/.kube/config)." };
        var context = new Option<string?>("--context") { Description = "kubeconfig context." };
        var leaderElect = new Option<bool>("--leader-elect") { Description = "Elect a leader through a Lease so several replicas can run (only the leader reconciles)." };
        var leaseNamespace = new Option<string?>("--leader-election-namespace") { Description = "Namespace of the Lease (default: POD_NAMESPACE)." };
        var leaseId = new Option<string>("--leader-election-id") { Description = "Name of the Lease.", DefaultValueFactory = _ => "guardduty-coverage-operator" };
        var metrics = new Option<string>("--metrics-bind-address") { Description = "Address of /metrics, e.g. :8080; 0 disables.", DefaultValueFactory = _ => ":8080" };
        var probes = new Option<string>("--health-probe-bind-address") { Description = "Address of /healthz and /readyz; 0 disables.", DefaultValueFactory = _ => ":8081" };
        var agentNamespaces = new Option<string>("--agent-namespaces") { Description = "Comma-separated namespaces whose DaemonSets and Pods are read.", DefaultValueFactory = _ => "amazon-guardduty" };
        var workers = new Option<int>("--max-concurrent-reconciles") { Description = "Reconciles run in parallel.", DefaultValueFactory = _ => 2 };
        var confirmation = new Option<int>("--confirm-seconds") { Description = "Seconds a new unhealthy state must hold before a Warning event and a notification.", DefaultValueFactory = _ => 30 };
        var eventBus = new Option<string?>("--notify-event-bus") { Description = "EventBridge bus (name or ARN) to put every coverage change on (needs events:PutEvents)." };
        var staleAfter = new Option<string>("--cluster-view-stale-after") { Description = "An informer not current for longer makes Ready Unknown (ClusterViewStale); 10s to 1h.", DefaultValueFactory = _ => "60s" };
        var memoryTrim = new Option<string>("--memory-trim-period") { Description = "How often to look whether a burst (a large LIST, a roll-out) left free GC memory committed, and return it to the OS once quiet; 0 never, else 1s to 1h.", DefaultValueFactory = _ => "10s" };
        var remediation = new Option<bool>("--remediation") { Description = "Allow spec.remediation.mode Apply (needs the remediation RBAC)." };
        var allowedAwsEndpoints = new Option<string?>(AwsEndpointPolicy.Flag)
        {
            Description = "Comma-separated origins (scheme://host[:port], *.domain allowed) a GuardDutyCoverage's spec.endpoints may name besides the AWS services' own HTTPS endpoints. Default: none.",
        };
        var allowedNotificationUrls = new Option<string?>(NotificationTransport.Flag)
        {
            Description = "Comma-separated origins a notification webhook may have besides https URLs (allows plain http and loopback or link-local addresses for them). Default: none.",
        };
        var readAgentLogs = new Option<bool>("--read-agent-logs") { Description = "Read the previous logs of crash-looping agent containers (needs get on pods/log in the agent namespaces)." };
        var logLevel = new Option<string>("--log-level") { Description = "debug, info, warn or error.", DefaultValueFactory = _ => "info" };
        logLevel.AcceptOnlyFromAmong("debug", "info", "warn", "error");
        var logFormat = new Option<string>("--log-format") { Description = "text or json.", DefaultValueFactory = _ => "text" };
        logFormat.AcceptOnlyFromAmong("text", "json");

        var command = new Command("run", "Run the operator: reconcile GuardDutyCoverage resources until stopped.");
        foreach (var option in new Option[] { kubeconfig, context, leaderElect, leaseNamespace, leaseId, metrics, probes, agentNamespaces, workers, staleAfter, memoryTrim, confirmation, eventBus, remediation, readAgentLogs, allowedAwsEndpoints, allowedNotificationUrls, logLevel, logFormat })
        {
            command.Options.Add(option);
        }

        var thresholds = new ThresholdFlags();
        thresholds.AddTo(command);

        command.SetAction(async (parse, cancellationToken) =>
        {
            var namespaces = parse.GetValue(agentNamespaces)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (namespaces.Length == 0)
            {
                throw new CliException("--agent-namespaces names no namespace");
            }

            foreach (var address in new[] { metrics, probes })
            {
                if (!HttpEndpoint.TryParseBindAddress(parse.GetValue(address), out _, out var addressError))
                {
                    throw new CliException($"{address.Name}: {addressError}");
                }
            }

            var concurrency = parse.GetValue(workers);
            if (concurrency is < 1 or > 64)
            {
                throw new CliException($"--max-concurrent-reconciles {concurrency} is outside 1..64");
            }

            var confirmSeconds = parse.GetValue(confirmation);
            if (confirmSeconds is < 0 or > 3600)
            {
                throw new CliException($"--confirm-seconds {confirmSeconds} is outside 0..3600");
            }

            var staleAfterText = parse.GetValue(staleAfter)!;
            if (!TryParseDuration(staleAfterText, out var staleAfterValue) || staleAfterValue < TimeSpan.FromSeconds(10) || staleAfterValue > TimeSpan.FromHours(1))
            {
                throw new CliException($"--cluster-view-stale-after \"{staleAfterText}\" is not a duration between 10s and 1h (e.g. 60s, 2m)");
            }

            var memoryTrimText = parse.GetValue(memoryTrim)!;
            TimeSpan? memoryTrimValue = null;
            if (memoryTrimText != "0")
            {
                if (!TryParseDuration(memoryTrimText, out var period) || period < TimeSpan.FromSeconds(1) || period > TimeSpan.FromHours(1))
                {
                    throw new CliException($"--memory-trim-period \"{memoryTrimText}\" is not 0 or a duration between 1s and 1h (e.g. 10s, 1m)");
                }

                memoryTrimValue = period;
            }

            var limits = thresholds.Parse(parse);
            var settings = new RunSettings
            {
                Kubernetes = KubeConnection.Load(parse.GetValue(kubeconfig), parse.GetValue(context)),
                LeaderElect = parse.GetValue(leaderElect),
                LeaderElectionId = parse.GetValue(leaseId)!,
                LeaderElectionNamespace = parse.GetValue(leaseNamespace) ?? Environment.GetEnvironmentVariable("POD_NAMESPACE"),
                MetricsBindAddress = parse.GetValue(metrics)!,
                HealthProbeBindAddress = parse.GetValue(probes)!,
                MemoryTrimPeriod = memoryTrimValue,
                AwsEndpoints = Wrap(() => AwsEndpointOverrides.FromEnvironment()),
                OperatorNamespace = Environment.GetEnvironmentVariable("POD_NAMESPACE") is { Length: > 0 } podNamespace ? podNamespace : null,
                Operator = new OperatorOptions
                {
                    AgentNamespaces = namespaces,
                    RemediationEnabled = parse.GetValue(remediation),
                    ReadAgentLogs = parse.GetValue(readAgentLogs),
                    MaxConcurrentReconciles = concurrency,
                    UnhealthyConfirmation = TimeSpan.FromSeconds(confirmSeconds),
                    NotifyEventBus = parse.GetValue(eventBus) is { Length: > 0 } bus ? bus : null,
                    ClusterViewStaleAfter = staleAfterValue,
                    AddonStuckAfter = limits.AddonStuckAfter,
                    CoverageStaleAfter = limits.CoverageStaleAfter,
                    DefaultRegion = Environment.GetEnvironmentVariable("AWS_REGION") is { Length: > 0 } r ? r : Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION"),
                    AllowedAwsEndpoints = AllowList(parse.GetValue(allowedAwsEndpoints), AwsEndpointPolicy.Flag),
                    AllowedNotificationUrls = AllowList(parse.GetValue(allowedNotificationUrls), NotificationTransport.Flag),
                },
            };
            if (settings.LeaderElect && string.IsNullOrEmpty(settings.LeaderElectionNamespace))
            {
                throw new CliException("--leader-elect needs --leader-election-namespace (or POD_NAMESPACE)");
            }

            using var loggers = Logging.Create(parse.GetValue(logLevel)!, parse.GetValue(logFormat)!);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            void Stop(PosixSignalContext context)
            {
                context.Cancel = true;
                stop.Cancel();
            }

            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            try
            {
                return await OperatorHost.RunAsync(settings, loggers, stop.Token).ConfigureAwait(false);
            }
            catch (PreflightException e)
            {
                throw new CliException(e.Message, e);
            }
            catch (InvalidOperationException e) when (e.InnerException is IOException or System.Net.Sockets.SocketException)
            {
                // The metrics or probe port cannot be bound (in use, not permitted): a setup error, not a crash.
                throw new CliException(e.Message, e);
            }
        });
        return command;
    }

    private static OriginAllowList AllowList(string? text, string flag)
    {
        try
        {
            return OriginAllowList.Parse(text, flag);
        }
        catch (FormatException e)
        {
            throw new CliException(e.Message, e);
        }
    }

    /// <summary>"90s", "2m", "1h30m": hours, minutes and seconds as Go's time.ParseDuration writes them.</summary>
    private static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = default;
        var match = System.Text.RegularExpressions.Regex.Match(text, @"^(?:(?<h>[0-9]{1,4})h)?(?:(?<m>[0-9]{1,6})m)?(?:(?<s>[0-9]{1,7})s)?$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);
        if (!match.Success || text.Length == 0)
        {
            return false;
        }

        int Part(string name) => match.Groups[name].Success ? int.Parse(match.Groups[name].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        value = new TimeSpan(Part("h"), Part("m"), Part("s"));
        return true;
    }

    private static T Wrap<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (AwsConfigurationException e)
        {
            throw new CliException(e.Message, e);
        }
    }
}
