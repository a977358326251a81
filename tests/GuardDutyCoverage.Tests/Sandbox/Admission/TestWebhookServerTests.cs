using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using KubeSandbox.Testing;
using GuardDutyCoverage.Tests.Sandbox.Authorization;
using static GuardDutyCoverage.Tests.Sandbox.Admission.AdmissionFixtures;

namespace GuardDutyCoverage.Tests.Sandbox.Admission;

/// <summary>The test webhook server used directly, with a plain HTTPS client trusting only its CA.</summary>
public sealed class TestWebhookServerTests : IAsyncLifetime
{
    private TestWebhookServer server = null!;
    private HttpClient client = null!;

    public async Task InitializeAsync()
    {
        server = await TestWebhookServer.StartAsync();
        client = NewClient();
    }

    /// <summary>A client trusting only the server's CA, with its own connection pool.</summary>
    private HttpClient NewClient()
    {
        var ca = X509Certificate2.CreateFromPem(server.CaBundlePem);
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    return certificate is X509Certificate2 leaf && chain.Build(leaf);
                },
            },
        };
        return new HttpClient(handler) { BaseAddress = server.BaseAddress };
    }

    public async Task DisposeAsync()
    {
        client.Dispose();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Stopped_it_refuses_connections_and_resumed_it_answers_on_the_same_address_with_its_records()
    {
        server.Map("/validate", (_, _) => ValueTask.FromResult(WebhookReply.Allow()));
        var address = server.BaseAddress;
        using var first = await client.PostAsync("/validate", new StringContent("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1"}}"""));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        // Fresh clients: a pooled connection the server just closed would fail differently from a refused dial.
        await server.StopListeningAsync();
        using var whileDown = NewClient();
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => whileDown.PostAsync("/validate", new StringContent("{}")));
        Assert.Equal(HttpRequestError.ConnectionError, refused.HttpRequestError);

        await server.ResumeListeningAsync();
        Assert.Equal(address, server.BaseAddress);
        using var afterwards = NewClient();
        using var second = await afterwards.PostAsync("/validate", new StringContent("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"2"}}"""));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(["1", "2"], server.Received.Select(r => r.Review.Uid));
    }

    [Fact]
    public void Listens_on_loopback_with_an_os_chosen_port_and_exposes_its_ca_for_ca_bundle()
    {
        Assert.Equal("127.0.0.1", server.BaseAddress.Host);
        Assert.NotEqual(0, server.BaseAddress.Port);
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", server.CaBundlePem, StringComparison.Ordinal);
        Assert.Equal(server.CaBundlePem, Encoding.ASCII.GetString(Convert.FromBase64String(server.CaBundle)));
        Assert.Equal($"{{\"url\":\"{server.Url("/x")}\",\"caBundle\":\"{server.CaBundle}\"}}", server.ClientConfig("/x").Text());
    }

    [Fact]
    public async Task Answers_with_the_mapped_behaviour_echoing_the_uid_and_records_the_request()
    {
        server.Map("/validate", WebhookBehaviors.DenyAll("no", 403));
        var waiting = server.WaitForReviewAsync(r => r.Path == "/validate");

        using var response = await PostAsync("/validate?timeout=10s", """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1","operation":"CREATE"}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"u-1","allowed":false,"status":{"code":403,"message":"no"}}}""",
            await response.Content.ReadAsStringAsync());
        var received = await waiting.WaitAsync(Patience);
        Assert.Equal("10s", received.Query["timeout"]);
        Assert.Equal("CREATE", received.Review.Operation);
        Assert.Equal("u-1", Assert.Single(server.Replies).Body!["response"]!["uid"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unmapped_paths_get_gos_404_page_and_non_json_bodies_a_400()
    {
        using var unmapped = await PostAsync("/nowhere", """{"request":{"uid":"x"}}""");
        using var garbage = await PostAsync("/nowhere", "not json");

        Assert.Equal(HttpStatusCode.NotFound, unmapped.StatusCode);
        Assert.Equal("404 page not found\n", await unmapped.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);
        Assert.Single(server.Received);
    }

    [Fact]
    public async Task Waiting_completes_for_reviews_received_before_the_wait()
    {
        server.Map("/a", WebhookBehaviors.AllowAll());
        using (await PostAsync("/a", """{"request":{"uid":"early"}}"""))
        {
        }

        var early = await server.WaitForReviewAsync(r => r.Review.Uid == "early").WaitAsync(Patience);

        Assert.Equal("/a", early.Path);
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return await client.PostAsync(new Uri(path, UriKind.Relative), content);
    }
}
