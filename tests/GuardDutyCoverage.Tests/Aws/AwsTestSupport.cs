using System.Diagnostics;
using System.Net;
using System.Text;
using GuardDutyCoverage.Aws;
using GuardDutyCoverage.Sandbox.Aws;

namespace GuardDutyCoverage.Tests.Aws;

/// <summary>What the machine has for the tests that run real AWS tooling (botocore, the AWS CLI, moto).</summary>
public static class PythonTools
{
    private static readonly Lazy<string?> BotocoreMissing = new(() => Probe("import botocore"));
    private static readonly Lazy<string?> MotoMissing = new(() => Probe("import moto.server, boto3"));
    private static readonly Lazy<string?> AwsCliMissing = new(() => Probe("import awscli"));

    public static string? WhyNoBotocore => BotocoreMissing.Value;

    public static string? WhyNoMoto => MotoMissing.Value;

    public static string? WhyNoAwsCli => AwsCliMissing.Value;

    public static string Script(string name) => Path.Combine(RepoPaths.Root, "tests", "GuardDutyCoverage.Tests", "Aws", "python", name);

    /// <summary>Runs a python3 script with <paramref name="stdin"/>; returns stdout, fails the test with stderr on a non-zero exit.</summary>
    public static async Task<string> RunAsync(string script, string stdin, IReadOnlyDictionary<string, string>? environment = null, params string[] args)
    {
        var (exit, stdout, stderr) = await RunProcessAsync("python3", [script, .. args], stdin, environment);
        Assert.True(exit == 0, $"python3 {Path.GetFileName(script)} exited {exit}: {stderr}");
        return stdout;
    }

    public static async Task<(int Exit, string Stdout, string Stderr)> RunProcessAsync(
        string fileName, IReadOnlyList<string> args, string? stdin, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    private static string? Probe(string import)
    {
        try
        {
            var (exit, _, stderr) = RunProcessAsync("python3", ["-c", import], null).GetAwaiter().GetResult();
            return exit == 0 ? null : $"python3 cannot `{import}`: {stderr.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return "python3 is not installed: " + e.Message;
        }
    }
}

/// <summary>A test that needs python3 with botocore; skipped with the reason when it is missing.</summary>
public sealed class BotocoreFactAttribute : FactAttribute
{
    public BotocoreFactAttribute()
    {
        if (PythonTools.WhyNoBotocore is { } why)
        {
            Skip = why;
        }
    }
}

/// <summary>A test that needs python3 with moto and boto3; skipped with the reason when they are missing.</summary>
public sealed class MotoFactAttribute : FactAttribute
{
    public MotoFactAttribute()
    {
        if (PythonTools.WhyNoMoto is { } why)
        {
            Skip = why;
        }
    }
}

/// <summary>A test that runs the real AWS CLI; skipped with the reason when it is missing.</summary>
public sealed class AwsCliFactAttribute : FactAttribute
{
    public AwsCliFactAttribute()
    {
        if (PythonTools.WhyNoAwsCli is { } why)
        {
            Skip = why;
        }
    }
}

/// <summary>An HTTP handler that records requests and answers each with the next canned response (a network stand-in for serializer tests).</summary>
public sealed class RecordingHandler(Func<HttpRequestMessage, HttpResponseMessage> respond) : HttpMessageHandler
{
    public List<(HttpRequestMessage Request, string Body)> Requests { get; } = [];

    public static RecordingHandler Json(string json) => new(_ => new HttpResponseMessage(HttpStatusCode.OK)
    {
        Content = new StringContent(json, Encoding.UTF8, "application/json"),
    });

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
        Requests.Add((request, body));
        return respond(request);
    }
}

/// <summary>The local GuardDuty/EKS endpoints plus real clients pointed at them.</summary>
public sealed class LocalAws : IAsyncDisposable
{
    public const string Region = "us-east-1";
    public const string DetectorId = "12abc34d567e8fa901bc2d34e56789f0";
    public const string AccountId = "111122223333";

    private readonly HttpClient _http = new();
    private readonly AwsCredentialsSource _credentials;

    private LocalAws(LocalAwsServer server, AwsCredentialValues credentials)
    {
        Server = server;
        _credentials = AwsCredentialsSource.Static(credentials);
    }

    public LocalAwsServer Server { get; }

    public LocalAwsState State => Server.State;

    public static readonly AwsCredentialValues TestCredentials =
        new(LocalAwsServer.TestCredentials.AccessKeyId, LocalAwsServer.TestCredentials.SecretAccessKey);

    public static async Task<LocalAws> StartAsync(TimeProvider? serverTime = null)
    {
        var server = await LocalAwsServer.StartAsync(new LocalAwsServerOptions
        {
            ModelsDirectory = RepoPaths.TestData("aws-models"),
            Time = serverTime ?? TimeProvider.System,
        });
        server.State.AddDetector(DetectorId);
        return new LocalAws(server, TestCredentials);
    }

    public AwsRestJsonClient Transport(AwsService service, AwsRetryPolicy? retry = null, TimeProvider? time = null, AwsCredentialsSource? credentials = null) =>
        new(_http, new AwsServiceEndpoint(service, Region, Server.Endpoint), credentials ?? _credentials, retry ?? FastRetry(), time ?? TimeProvider.System);

    public GuardDutyClient GuardDuty(AwsRetryPolicy? retry = null, TimeProvider? time = null) => new(Transport(AwsService.GuardDuty, retry, time));

    public EksClient Eks(AwsRetryPolicy? retry = null, TimeProvider? time = null) => new(Transport(AwsService.Eks, retry, time));

    /// <summary>Retries that record their waits instead of waiting.</summary>
    public static AwsRetryPolicy FastRetry(List<TimeSpan>? waits = null, int attempts = 3) => new()
    {
        MaxAttempts = attempts,
        Jitter = () => 0.5,
        Delay = (wait, _) =>
        {
            waits?.Add(wait);
            return Task.CompletedTask;
        },
    };

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        _credentials.Dispose();
        await Server.DisposeAsync();
    }
}
