using System.Net;
using System.Text.Json;
using GuardDutyCoverage.Runtime;
using k8s.Models;

namespace GuardDutyCoverage.Tests.Runtime;

/// <summary>
/// A Lease store with the API server's semantics (checked against recordings 62-65 in LeaderElectorTests): every
/// write gets a new resourceVersion, a create of an existing Lease is 409 AlreadyExists, an update with a stale
/// resourceVersion is 409 Conflict, objects are copied through JSON (no aliasing), and MicroTime is kept to the
/// microsecond. Faults can be injected.
/// </summary>
public sealed class InMemoryLeaseStore : ILeaseStore
{
    private readonly Lock gate = new();
    private string? stored;
    private long revision = 227;

    public int Writes { get; private set; }

    /// <summary>When set, every call fails with this (e.g. a 500 or a network error).</summary>
    public Func<Exception>? Fault { get; set; }

    public V1Lease? Current
    {
        get
        {
            lock (gate)
            {
                return stored is null ? null : JsonSerializer.Deserialize(stored, KubeJson.TypeInfo<V1Lease>());
            }
        }
    }

    public Task<V1Lease?> GetAsync(CancellationToken cancellationToken) => Run(() =>
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowFault();
        return Current;
    });

    public Task<V1Lease> CreateAsync(V1Lease lease, CancellationToken cancellationToken) => Run(() =>
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowFault();
        lock (gate)
        {
            if (stored is not null)
            {
                throw Status(HttpStatusCode.Conflict, "AlreadyExists", $"leases.coordination.k8s.io \"{lease.Metadata.Name}\" already exists");
            }

            return Store(lease, uid: Guid.NewGuid().ToString());
        }
    });

    public Task<V1Lease> UpdateAsync(V1Lease lease, CancellationToken cancellationToken) => Run(() =>
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowFault();
        lock (gate)
        {
            var current = stored is null ? null : JsonSerializer.Deserialize(stored, KubeJson.TypeInfo<V1Lease>());
            if (current is null)
            {
                throw Status(HttpStatusCode.NotFound, "NotFound", $"leases.coordination.k8s.io \"{lease.Metadata.Name}\" not found");
            }

            if (lease.Metadata.ResourceVersion != current.Metadata.ResourceVersion)
            {
                throw Status(HttpStatusCode.Conflict, "Conflict", $"Operation cannot be fulfilled on leases.coordination.k8s.io \"{lease.Metadata.Name}\": the object has been modified; please apply your changes to the latest version and try again");
            }

            return Store(lease, current.Metadata.Uid);
        }
    });

    /// <summary>Another process writes the Lease (as if it renewed or took it).</summary>
    public void WriteAsOther(Action<V1LeaseSpec> change)
    {
        lock (gate)
        {
            var lease = JsonSerializer.Deserialize(stored!, KubeJson.TypeInfo<V1Lease>())!;
            change(lease.Spec);
            Store(lease, lease.Metadata.Uid);
        }
    }

    private V1Lease Store(V1Lease lease, string uid)
    {
        var copy = JsonSerializer.Deserialize(JsonSerializer.Serialize(lease, KubeJson.TypeInfo<V1Lease>()), KubeJson.TypeInfo<V1Lease>())!;
        copy.Metadata.ResourceVersion = (++revision).ToString(System.Globalization.CultureInfo.InvariantCulture);
        copy.Metadata.Uid = uid;
        stored = JsonSerializer.Serialize(copy, KubeJson.TypeInfo<V1Lease>());
        Writes++;
        return JsonSerializer.Deserialize(stored, KubeJson.TypeInfo<V1Lease>())!;
    }

    /// <summary>Failures surface as faulted tasks, as they do from a real client.</summary>
    private static Task<T> Run<T>(Func<T> operation)
    {
        try
        {
            return Task.FromResult(operation());
        }
        catch (Exception e)
        {
            return Task.FromException<T>(e);
        }
    }

    private void ThrowFault()
    {
        if (Fault is { } fault)
        {
            throw fault();
        }
    }

    private static KubeApiException Status(HttpStatusCode code, string reason, string message) =>
        new("PUT", "/apis/coordination.k8s.io/v1/namespaces/default/leases", code, new V1Status { Kind = "Status", ApiVersion = "v1", Status = "Failure", Reason = reason, Message = message, Code = (int)code }, null);
}
