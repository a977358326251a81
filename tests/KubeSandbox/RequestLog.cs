namespace KubeSandbox;

/// <summary>The most recent requests the sandbox served, oldest first (bounded, so long runs stay small).</summary>
internal sealed class RequestLog(int capacity)
{
    private readonly Lock _gate = new();
    private readonly Queue<SandboxRequest> _requests = new();

    public void Add(SandboxRequest request)
    {
        lock (_gate)
        {
            _requests.Enqueue(request);
            while (_requests.Count > capacity)
            {
                _requests.Dequeue();
            }
        }
    }

    public IReadOnlyList<SandboxRequest> Snapshot()
    {
        lock (_gate)
        {
            return _requests.ToList();
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _requests.Clear();
        }
    }
}
