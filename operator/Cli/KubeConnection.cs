using k8s;
using k8s.Exceptions;

namespace GuardDutyCoverage.Cli;

/// <summary>Resolves how to reach the Kubernetes API: --kubeconfig, $KUBECONFIG, in-cluster, ~/.kube/config — in that order.</summary>
public static class KubeConnection
{
    public static KubernetesClientConfiguration Load(string? kubeconfig, string? context)
    {
        string? path = kubeconfig;
        if (path is null)
        {
            var fromEnvironment = Environment.GetEnvironmentVariable("KUBECONFIG");
            if (!string.IsNullOrWhiteSpace(fromEnvironment))
            {
                // Like kubectl, use the first file of a path list that exists.
                path = fromEnvironment.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(File.Exists)
                    ?? throw new CliException($"none of the files in KUBECONFIG ({fromEnvironment}) exists");
            }
            else if (context is null && KubernetesClientConfiguration.IsInCluster())
            {
                return KubernetesClientConfiguration.InClusterConfig();
            }
            else
            {
                var home = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
                path = File.Exists(home)
                    ? home
                    : throw new CliException("no Kubernetes configuration found: pass --kubeconfig, set KUBECONFIG, or run inside a cluster");
            }
        }

        if (!File.Exists(path))
        {
            throw new CliException($"kubeconfig \"{path}\" does not exist");
        }

        try
        {
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(path, context);
        }
        catch (KubeConfigException e)
        {
            throw new CliException($"kubeconfig \"{path}\": {e.Message}", e);
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException or YamlDotNet.Core.YamlException)
        {
            throw new CliException($"cannot read kubeconfig \"{path}\": {e.Message}", e);
        }
    }
}
