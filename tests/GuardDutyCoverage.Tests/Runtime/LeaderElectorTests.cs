using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GuardDutyCoverage.Runtime;
using Microsoft.Extensions.Time.Testing;
using k8s.Models;

namespace GuardDutyCoverage.Tests.Runtime;

public sealed partial class LeaderElectorTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(20);
    private static readonly DateTimeOffset Start = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
    private readonly SteppedClock time = new(Start);
    private readonly InMemoryLeaseStore store = new();
    private readonly MetricsRegistry registry = new();

    [Fact]
    public async Task CreatesTheLeaseWhenAbsent()
    {
        using var a = NewElector("operator-a");
        Assert.True(await a.TryAcquireOrRenewAsync(CancellationToken.None));

        var spec = store.Current!.Spec;
        Assert.Equal("operator-a", spec.HolderIdentity);
        Assert.Equal(15, spec.LeaseDurationSeconds);
        Assert.Equal(Start.UtcDateTime, spec.AcquireTime);
        Assert.Equal(Start.UtcDateTime, spec.RenewTime);
        Assert.Equal(0, spec.LeaseTransitions);
    }

    [Fact]
    public async Task RenewingKeepsAcquireTimeAndTransitions()
    {
        using var a = NewElector("operator-a");
        await a.TryAcquireOrRenewAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(2) + TimeSpan.FromMicroseconds(123));
        Assert.True(await a.TryAcquireOrRenewAsync(CancellationToken.None));

        var spec = store.Current!.Spec;
        Assert.Equal(Start.UtcDateTime, spec.AcquireTime);
        Assert.Equal(Start.UtcDateTime.AddSeconds(2).AddMicroseconds(123), spec.RenewTime);
        Assert.Equal(0, spec.LeaseTransitions);
        Assert.Equal(2, store.Writes);
    }

    [Fact]
    public async Task AnotherHoldersLeaseIsRespectedUntilItExpiresOnTheLocalClock()
    {
        using var a = NewElector("operator-a");
        using var b = NewElector("operator-b");
        await a.TryAcquireOrRenewAsync(CancellationToken.None);

        // b sees the record for the first time now: its expiry counts from now, whatever renewTime says (clock skew).
        store.WriteAsOther(s => s.RenewTime = Start.UtcDateTime.AddHours(-3));
        Assert.False(await b.TryAcquireOrRenewAsync(CancellationToken.None));
        time.Advance(TimeSpan.FromSeconds(14.9));
        Assert.False(await b.TryAcquireOrRenewAsync(CancellationToken.None));
        Assert.Equal("operator-a", b.ObservedLeader);

        time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.True(await b.TryAcquireOrRenewAsync(CancellationToken.None));
        var spec = store.Current!.Spec;
        Assert.Equal("operator-b", spec.HolderIdentity);
        Assert.Equal(1, spec.LeaseTransitions);
        Assert.Equal(time.GetUtcNow().UtcDateTime, spec.AcquireTime);
    }

    [Fact]
    public async Task ARenewalSeenByOthersPostponesTheirTakeover()
    {
        using var a = NewElector("operator-a");
        using var b = NewElector("operator-b");
        await a.TryAcquireOrRenewAsync(CancellationToken.None);
        Assert.False(await b.TryAcquireOrRenewAsync(CancellationToken.None));
        time.Advance(TimeSpan.FromSeconds(10));
        await a.TryAcquireOrRenewAsync(CancellationToken.None);
        Assert.False(await b.TryAcquireOrRenewAsync(CancellationToken.None));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.False(await b.TryAcquireOrRenewAsync(CancellationToken.None));
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(await b.TryAcquireOrRenewAsync(CancellationToken.None));
    }

    [Fact]
    public async Task AConflictIsNotAnErrorAndTheNextAttemptRereads()
    {
        using var a = NewElector("operator-a");
        await a.TryAcquireOrRenewAsync(CancellationToken.None);
        var stale = store.Current!;
        store.WriteAsOther(s => s.RenewTime = s.RenewTime!.Value.AddSeconds(1));
        var conflict = await Assert.ThrowsAsync<KubeApiException>(() => store.UpdateAsync(stale, CancellationToken.None));
        Assert.True(conflict.IsConflict);

        // The elector read the current version itself, so its attempt succeeds; a racing writer makes it return false.
        var racing = new RacingStore(store);
        using var c = new LeaderElector(racing, Options("operator-a"), time);
        Assert.False(await c.TryAcquireOrRenewAsync(CancellationToken.None));
        Assert.True(await c.TryAcquireOrRenewAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ReleaseHandsTheLeaseOverImmediately()
    {
        using var a = NewElector("operator-a");
        using var b = NewElector("operator-b");
        await a.TryAcquireOrRenewAsync(CancellationToken.None);
        Assert.False(await b.TryAcquireOrRenewAsync(CancellationToken.None));

        Assert.True(await a.ReleaseAsync());
        var released = store.Current!.Spec;
        Assert.Equal("", released.HolderIdentity);
        Assert.Equal(1, released.LeaseDurationSeconds);
        Assert.Equal(0, released.LeaseTransitions);

        Assert.True(await b.TryAcquireOrRenewAsync(CancellationToken.None));
        Assert.Equal(1, store.Current!.Spec.LeaseTransitions);
        Assert.False(await a.ReleaseAsync());
    }

    [Fact]
    public async Task RunLeadsRenewsAndReleasesOnCancel()
    {
        using var a = NewElector("operator-a");
        using var stop = new CancellationTokenSource();
        var run = a.RunAsync(stop.Token);
        await a.WaitForLeadershipAsync(CancellationToken.None).WaitAsync(Generous);
        Assert.True(a.IsLeader);
        Assert.Equal(1, registry.Gauge("leader_election_master_status", "", "name").Value("lock"));

        await AdvanceUntilAsync(() => store.Writes >= 4);
        Assert.Equal("operator-a", store.Current!.Spec.HolderIdentity);

        await stop.CancelAsync();
        Assert.Equal(LeaderElectionResult.Stopped, await run.WaitAsync(Generous));
        Assert.Equal("", store.Current!.Spec.HolderIdentity);
        Assert.True(a.LeadershipEnded.IsCancellationRequested);
        Assert.False(a.IsLeader);
        Assert.Equal(0, registry.Gauge("leader_election_master_status", "", "name").Value("lock"));
    }

    [Fact]
    public async Task FailingRenewalsPastTheDeadlineLoseLeadership()
    {
        using var a = NewElector("operator-a");
        var run = a.RunAsync(CancellationToken.None);
        await a.WaitForLeadershipAsync(CancellationToken.None).WaitAsync(Generous);

        store.Fault = () => new KubeApiException("GET", "/lease", HttpStatusCode.InternalServerError, null, "etcd down");
        var lost = a.LeadershipEnded;
        await AdvanceUntilAsync(() => run.IsCompleted);

        Assert.Equal(LeaderElectionResult.Lost, await run);
        Assert.True(lost.IsCancellationRequested);
        Assert.Equal(0, registry.Gauge("leader_election_master_status", "", "name").Value("lock"));

        // Lost before the lease duration: a successor can take over only after this process stopped renewing.
        Assert.InRange(time.GetUtcNow() - Start, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task ATakeoverByAnotherIdentityLosesLeadership()
    {
        using var a = NewElector("operator-a");
        var run = a.RunAsync(CancellationToken.None);
        await a.WaitForLeadershipAsync(CancellationToken.None).WaitAsync(Generous);
        store.WriteAsOther(s =>
        {
            s.HolderIdentity = "operator-b";
            s.LeaseTransitions = 1;
        });

        await AdvanceUntilAsync(() => run.IsCompleted);
        Assert.Equal(LeaderElectionResult.Lost, await run);
        Assert.Equal("operator-b", store.Current!.Spec.HolderIdentity);
    }

    [Fact]
    public async Task OnlyOneOfTwoCandidatesLeadsAndTheOtherTakesOverAfterRelease()
    {
        using var a = NewElector("operator-a");
        using var b = NewElector("operator-b");
        using var stopA = new CancellationTokenSource();
        using var stopB = new CancellationTokenSource();
        var runA = a.RunAsync(stopA.Token);
        await a.WaitForLeadershipAsync(CancellationToken.None).WaitAsync(Generous);
        var runB = b.RunAsync(stopB.Token);
        await AdvanceUntilAsync(() => store.Writes >= 5);
        Assert.False(b.IsLeader);

        await stopA.CancelAsync();
        await runA.WaitAsync(Generous);
        await AdvanceUntilAsync(() => b.IsLeader);
        Assert.Equal("operator-b", store.Current!.Spec.HolderIdentity);
        Assert.Equal(1, store.Current.Spec.LeaseTransitions);

        await stopB.CancelAsync();
        Assert.Equal(LeaderElectionResult.Stopped, await runB.WaitAsync(Generous));
    }

    [Fact]
    public async Task AStandbyTakesOverTheMomentTheObservedLeaseExpires()
    {
        using var a = NewElector("operator-a");
        using var b = NewElector("operator-b");
        using var stop = new CancellationTokenSource();
        Assert.True(await a.TryAcquireOrRenewAsync(CancellationToken.None));

        // a dies without releasing; b, retrying every 2-2.4 s, tries once more exactly when the lease it observed at
        // 0 s expires, instead of up to a retry period later.
        var run = b.RunAsync(stop.Token);
        await AdvanceUntilAsync(() => b.IsLeader);
        Assert.Equal(TimeSpan.FromSeconds(15), time.GetUtcNow() - Start);
        Assert.Equal("operator-b", store.Current!.Spec.HolderIdentity);

        await stop.CancelAsync();
        Assert.Equal(LeaderElectionResult.Stopped, await run.WaitAsync(Generous));
    }

    [Fact]
    public void OptionsAreValidated()
    {
        Assert.Throws<ArgumentException>(() => new LeaderElector(store, Options("a") with { RenewDeadline = TimeSpan.FromSeconds(15) }, time));
        Assert.Throws<ArgumentException>(() => new LeaderElector(store, Options("a") with { RetryPeriod = TimeSpan.FromSeconds(9) }, time));
        Assert.Throws<ArgumentException>(() => new LeaderElector(store, Options(""), time));
    }

    [Fact]
    public async Task TheKubeLeaseStoreSpeaksTheRecordedProtocol()
    {
        await using var server = await ScriptedApiServer.StartAsync();
        using var kubernetes = server.CreateKubernetes();
        var client = new KubeApiClient(kubernetes);
        const string path = "/apis/coordination.k8s.io/v1/namespaces/default/leases/golden-operator-lock";
        server.OnJson("GET", path, 404, Golden.Load("17").ResponseBody);
        server.OnGolden("62");
        server.OnGolden("65");
        server.OnGolden("63");
        server.OnGolden("65");
        server.OnGolden("64");
        var clock = new FakeTimeProvider(Start);
        var log = new ListLogger();
        using var elector = new LeaderElector(client, Options("operator-a") with { LeaseName = "golden-operator-lock" }, clock, logger: log);

        var acquired = await elector.TryAcquireOrRenewAsync(CancellationToken.None);
        Assert.True(acquired, string.Join("\n", server.Requests.Select(r => $"{r.Method} {r.Path}")) + " unscripted: " + server.Unscripted.Count);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(await elector.TryAcquireOrRenewAsync(CancellationToken.None), log.ToString());
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.False(await elector.TryAcquireOrRenewAsync(CancellationToken.None));

        var writes = server.Requests.Where(r => r.Method != "GET").ToList();
        Assert.Equal(["POST", "PUT", "PUT"], writes.Select(r => r.Method));
        Assert.All(writes, w =>
        {
            Assert.Matches(MicroTimePattern(), w.Json!["spec"]!["renewTime"]!.GetValue<string>());
            Assert.Matches(MicroTimePattern(), w.Json!["spec"]!["acquireTime"]!.GetValue<string>());
        });
        Assert.Equal("2026-11-26T12:00:00.000000Z", writes[0].Json!["spec"]!["renewTime"]!.GetValue<string>());
        Assert.Equal("229", writes[2].Json!["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal(JsonValue.Create(0)!.ToJsonString(), writes[1].Json!["spec"]!["leaseTransitions"]!.ToJsonString());
        Assert.Empty(server.Unscripted);
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")]
    private static partial Regex MicroTimePattern();

    private LeaderElector NewElector(string identity) => new(store, Options(identity), time, new RuntimeMetrics(registry), random: new Random(3));

    private static LeaderElectionOptions Options(string identity) => new() { LeaseName = "lock", LeaseNamespace = "default", Identity = identity };

    /// <summary>
    /// Moves the fake clock from timer to timer until <paramref name="condition"/> holds, each step only once the
    /// elector waits on a timer it armed since the previous step: time never runs ahead of an elector that has not
    /// yet observed the last step (the old fixed 100 ms steps did, on a loaded machine, and the lease was lost at
    /// 25 s instead of 12 s). Bounded: fails instead of hanging.
    /// </summary>
    private Task AdvanceUntilAsync(Func<bool> condition) => time.StepUntilAsync(condition, maxSteps: 2000);

    /// <summary>Lets another writer slip in between the elector's read and its write, once.</summary>
    private sealed class RacingStore(InMemoryLeaseStore inner) : ILeaseStore
    {
        private bool raced;

        public Task<V1Lease?> GetAsync(CancellationToken cancellationToken) => inner.GetAsync(cancellationToken);

        public Task<V1Lease> CreateAsync(V1Lease lease, CancellationToken cancellationToken) => inner.CreateAsync(lease, cancellationToken);

        public Task<V1Lease> UpdateAsync(V1Lease lease, CancellationToken cancellationToken)
        {
            if (!raced)
            {
                raced = true;
                inner.WriteAsOther(s => s.RenewTime = s.RenewTime!.Value.AddMilliseconds(1));
            }

            return inner.UpdateAsync(lease, cancellationToken);
        }
    }
}
