using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Controller;
using GuardDutyCoverage.Diagnosis;

namespace GuardDutyCoverage.Cli;

/// <summary>Builds the live snapshot source of <c>diagnose --kubeconfig/--context</c> from the process environment.</summary>
public static class LiveDiagnosis
{
    public static ISnapshotSource Source(LiveTarget target)
    {
        var configuration = KubeConnection.Load(target.Kubeconfig, target.Context);
        AwsEndpointOverrides endpoints;
        try
        {
            endpoints = AwsEndpointOverrides.FromEnvironment();
        }
        catch (AwsConfigurationException e)
        {
            throw new CliException(e.Message, e);
        }

        // One process, one diagnosis: the HTTP client lives as long as the process.
        var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan }; // signed requests are never replayed elsewhere
        return new LiveSnapshotSource(
            configuration,
            new AwsClientFactory(http, AwsCredentialsSource.DefaultChain(), new AwsClientOptions()),
            AwsRegionResolver.FromProcess(http),
            endpoints,
            TimeProvider.System);
    }
}
