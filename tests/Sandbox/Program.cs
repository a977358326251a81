using System.CommandLine;
using System.Runtime.InteropServices;
using GuardDutyCoverage.Sandbox;

// guardduty-sandbox serve --kubeconfig FILE [--port N] [--seed DIR]: a fake cluster for `make demo` and manual kubectl use.
var kubeconfigOption = new Option<FileInfo>("--kubeconfig")
{
    Description = "Where to write the kubeconfig (server http://127.0.0.1:PORT, bearer token, context sandbox)",
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
var httpsOption = new Option<bool>("--https")
{
    Description = "Serve HTTPS with a self-signed certificate (written into the kubeconfig), so kubectl sends the bearer token",
};
var serve = new Command("serve", "Run the sandbox Kubernetes API server until SIGINT or SIGTERM") { kubeconfigOption, portOption, seedOption, httpsOption };
serve.SetAction(async (parseResult, cancellationToken) =>
{
    var kubeconfig = parseResult.GetValue(kubeconfigOption)!;
    var seed = parseResult.GetValue(seedOption);
    if (seed is not null && !seed.Exists)
    {
        Console.Error.WriteLine($"guardduty-sandbox: seed directory {seed.FullName} does not exist");
        return 2;
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
        sandbox = await SandboxServer.StartAsync(new SandboxOptions { Port = parseResult.GetValue(portOption), UseHttps = parseResult.GetValue(httpsOption) }, stop.Token);
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
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            // SIGINT or SIGTERM.
        }
    }

    return 0;
});

var root = new RootCommand("In-process Kubernetes API server for tests and demos of the GuardDuty Coverage Operator") { serve };
return await root.Parse(args).InvokeAsync();
