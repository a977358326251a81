using System.CommandLine;
using System.Runtime.InteropServices;
using KubeSandbox;
using GuardDutyCoverage.Sandbox.Aws;

// guardduty-sandbox serve --kubeconfig FILE [--port N] [--seed DIR] [--aws-seed FILE]: a fake cluster (and local
// GuardDuty/EKS) for `make demo` and manual kubectl use.
var kubeconfigOption = new Option<FileInfo>("--kubeconfig")
{
    Description = "Where to write the kubeconfig (server https://127.0.0.1:PORT with its CA, admin bearer token, context sandbox)",
    Required = true,
};
var portOption = new Option<int>("--port")
{
    Description = "Loopback port to listen on (default: chosen by the OS)",
    DefaultValueFactory = _ => 0,
};
portOption.Validators.Add(result =>
{
    var port = result.GetValueOrDefault<int>();
    if (port is < 0 or > 65535)
    {
        result.AddError($"--port must be between 0 and 65535, not {port}");
    }
});
var seedOption = new Option<DirectoryInfo?>("--seed")
{
    Description = "Directory of YAML/JSON files (multi-document; objects may include status) to load at start",
};
var plainHttpOption = new Option<bool>("--plain-http")
{
    Description = "Serve plain HTTP instead of HTTPS (kubectl then sends no token and is system:anonymous, which RBAC denies)",
};
var awsSeedOption = new Option<FileInfo?>("--aws-seed")
{
    Description = "Also serve local GuardDuty and EKS endpoints seeded from this YAML/JSON file (detectors, coverage, clusters, add-ons); "
        + "writes aws.env (AWS_ENDPOINT_URL_GUARDDUTY, AWS_ENDPOINT_URL_EKS, credentials, AWS_REGION) next to the kubeconfig",
};
var awsModelsOption = new Option<DirectoryInfo>("--aws-models")
{
    Description = "Directory with the botocore models guardduty-2017-11-28.service-2.json and eks-2017-11-01.service-2.json",
    DefaultValueFactory = _ => new DirectoryInfo(Path.Combine(AppContext.BaseDirectory, "aws-models")),
};
var kubernetesVersionOption = new Option<string>("--kubernetes-version")
{
    Description = "The gitVersion /version reports (default: the recorded kube-apiserver's, v1.24.0+0, whose behaviour the sandbox implements); "
        + "a scenario that models another cluster sets it, e.g. v1.31.4-eks-2d5f260 for make demo's EKS 1.31",
    DefaultValueFactory = _ => new SandboxOptions().KubernetesVersion,
};
var watchWindowOption = new Option<int>("--watch-cache-window")
{
    Description = "How many events of each resource the watch cache keeps; watches from older resourceVersions get 410 Expired",
    DefaultValueFactory = _ => new SandboxOptions().WatchWindow,
};
watchWindowOption.Validators.Add(result =>
{
    if (result.GetValueOrDefault<int>() < 1)
    {
        result.AddError("--watch-cache-window must be at least 1");
    }
});
var storageHistoryOption = new Option<int>("--storage-history")
{
    Description = "How many changes etcd keeps before compacting; exact-resourceVersion lists and continue tokens older than that get 410 Expired",
    DefaultValueFactory = _ => new SandboxOptions().StorageHistory,
};
storageHistoryOption.Validators.Add(result =>
{
    if (result.GetValueOrDefault<int>() < 1)
    {
        result.AddError("--storage-history must be at least 1");
    }
});
var compactionIntervalOption = new Option<int>("--compaction-interval-seconds")
{
    Description = "Compact etcd every N seconds at the previous interval's revision, as kube-apiserver's --etcd-compaction-interval (default 0: off)",
    DefaultValueFactory = _ => 0,
};
compactionIntervalOption.Validators.Add(result =>
{
    if (result.GetValueOrDefault<int>() < 0)
    {
        result.AddError("--compaction-interval-seconds must not be negative");
    }
});
var serve = new Command("serve", "Run the sandbox Kubernetes API server until SIGINT or SIGTERM")
{
    kubeconfigOption, portOption, seedOption, plainHttpOption, awsSeedOption, awsModelsOption, watchWindowOption, storageHistoryOption, compactionIntervalOption,
    kubernetesVersionOption,
};
serve.SetAction(async (parseResult, cancellationToken) =>
{
    var kubeconfig = parseResult.GetValue(kubeconfigOption)!;
    var seed = parseResult.GetValue(seedOption);
    if (seed is not null && !seed.Exists)
    {
        Console.Error.WriteLine($"guardduty-sandbox: seed directory {seed.FullName} does not exist");
        return 2;
    }

    var awsSeedFile = parseResult.GetValue(awsSeedOption);
    var awsModels = parseResult.GetValue(awsModelsOption)!;
    LocalAwsSeed? awsSeed = null;
    if (awsSeedFile is not null)
    {
        if (!awsSeedFile.Exists)
        {
            Console.Error.WriteLine($"guardduty-sandbox: AWS seed file {awsSeedFile.FullName} does not exist");
            return 2;
        }

        try
        {
            awsSeed = LocalAwsSeed.Parse(
                await File.ReadAllTextAsync(awsSeedFile.FullName, cancellationToken),
                ServiceModel.Load(Path.Combine(awsModels.FullName, LocalAwsServer.GuardDutyModelFile)),
                ServiceModel.Load(Path.Combine(awsModels.FullName, LocalAwsServer.EksModelFile)));
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"guardduty-sandbox: cannot load AWS seed {awsSeedFile.FullName}: {ex.Message}");
            return 2;
        }
    }

    using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
    {
        context.Cancel = true;
        stop.Cancel();
    });
    using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
    {
        context.Cancel = true;
        stop.Cancel();
    });

    SandboxServer sandbox;
    try
    {
        sandbox = await SandboxServer.StartAsync(
            new SandboxOptions
            {
                Port = parseResult.GetValue(portOption),
                KubernetesVersion = parseResult.GetValue(kubernetesVersionOption)!,
                UseHttps = !parseResult.GetValue(plainHttpOption),
                WatchWindow = parseResult.GetValue(watchWindowOption),
                StorageHistory = parseResult.GetValue(storageHistoryOption),
                CompactionInterval = TimeSpan.FromSeconds(parseResult.GetValue(compactionIntervalOption)),
            },
            stop.Token);
    }
    catch (IOException ex)
    {
        Console.Error.WriteLine($"guardduty-sandbox: cannot listen: {ex.Message}");
        return 2;
    }

    await using (sandbox)
    {
        if (seed is not null)
        {
            try
            {
                var count = SeedLoader.LoadDirectory(sandbox.Cluster, seed.FullName);
                Console.Error.WriteLine($"guardduty-sandbox: loaded {count} objects from {seed.FullName}");
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or IOException)
            {
                Console.Error.WriteLine($"guardduty-sandbox: cannot load seed: {ex.Message}");
                return 2;
            }
        }

        try
        {
            sandbox.WriteKubeconfig(kubeconfig.FullName);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"guardduty-sandbox: cannot write kubeconfig {kubeconfig.FullName}: {ex.Message}");
            return 2;
        }

        Console.WriteLine($"guardduty-sandbox: serving {sandbox.BaseAddress.ToString().TrimEnd('/')} (kubeconfig {kubeconfig.FullName})");
        LocalAwsServer? aws = null;
        try
        {
            if (awsSeed is not null)
            {
                aws = await LocalAwsServer.StartAsync(new LocalAwsServerOptions { ModelsDirectory = awsModels.FullName }, stop.Token);
                awsSeed.ApplyTo(aws.State);
                var environmentFile = Path.Combine(Path.GetDirectoryName(kubeconfig.FullName)!, "aws.env");
                try
                {
                    await File.WriteAllTextAsync(environmentFile, aws.EnvironmentFile(awsSeed.Region), stop.Token);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    Console.Error.WriteLine($"guardduty-sandbox: cannot write {environmentFile}: {ex.Message}");
                    return 2;
                }

                Console.WriteLine($"guardduty-sandbox: serving GuardDuty and EKS at {aws.Endpoint.ToString().TrimEnd('/')} (environment {environmentFile})");
            }

            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            // SIGINT or SIGTERM.
        }
        finally
        {
            if (aws is not null)
            {
                await aws.DisposeAsync();
            }
        }
    }

    return 0;
});

var root = new RootCommand("In-process Kubernetes API server (and local GuardDuty/EKS endpoints) for tests and demos of the GuardDuty Coverage Operator") { serve };
return await root.Parse(args).InvokeAsync();
