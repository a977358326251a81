using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace KubeSandbox.Tests;

/// <summary>The LIST resourceVersion semantics the README's table documents (kube-apiserver v1.24), one row each.</summary>
public sealed class ListResourceVersionTests : IAsyncLifetime
{
    private SandboxServer _sandbox = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _sandbox = await SandboxServer.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            _sandbox.Cluster.Upsert(new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "ConfigMap",
                ["metadata"] = new JsonObject { ["name"] = $"cm-{i}", ["namespace"] = "default" },
            });
        }

        _http = _sandbox.CreateHttpClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _sandbox.DisposeAsync();
    }

    [Fact]
    public async Task UnsetIsTheCurrentRevisionPagedWithAContinueToken()
    {
        var page = await _http.GetFromJsonAsync<JsonObject>("/api/v1/namespaces/default/configmaps?limit=2");

        Assert.Equal(_sandbox.Cluster.ResourceVersion, page!["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal(2, page["items"]!.AsArray().Count);
        Assert.NotNull(page["metadata"]!["continue"]);
        Assert.Equal(1, page["metadata"]!["remainingItemCount"]!.GetValue<long>());
    }

    [Fact]
    public async Task ZeroIsTheWatchCacheWhichIgnoresTheLimit()
    {
        var list = await _http.GetFromJsonAsync<JsonObject>("/api/v1/namespaces/default/configmaps?resourceVersion=0&limit=2");

        Assert.Equal(3, list!["items"]!.AsArray().Count);
        Assert.Null(list["metadata"]!["continue"]);
    }

    [Fact]
    public async Task MatchWithoutAResourceVersionIs422()
    {
        using var response = await _http.GetAsync("/api/v1/namespaces/default/configmaps?resourceVersionMatch=NotOlderThan");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("resourceVersionMatch is forbidden unless resourceVersion is provided", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExactBeforeACompactionIs410()
    {
        var old = long.Parse(_sandbox.Cluster.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture) - 1;
        _sandbox.Faults.CompactStorage();

        using var response = await _http.GetAsync($"/api/v1/namespaces/default/configmaps?resourceVersion={old}&resourceVersionMatch=Exact");

        Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
        Assert.Contains("The resourceVersion for the provided list is too old.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ContinueWithAResourceVersionIs400()
    {
        var page = await _http.GetFromJsonAsync<JsonObject>("/api/v1/namespaces/default/configmaps?limit=1");
        var token = page!["metadata"]!["continue"]!.GetValue<string>();

        using var response = await _http.GetAsync($"/api/v1/namespaces/default/configmaps?limit=1&continue={token}&resourceVersion=5");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("specifying resource version is not allowed when using continue", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
