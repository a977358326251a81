using System.Text.Json.Nodes;

namespace KubeSandbox.Http;

/// <summary>POST of a review resource: decoded here, answered by <see cref="ReviewResponder"/>.</summary>
internal sealed partial class ApiHandler
{
    private async Task ReviewAsync(ApiRequest request)
    {
        var review = await ReadObjectAsync(request).ConfigureAwait(false);
        CheckTypeMeta(request.Resource, review);
        JsonObject response = _reviews.Respond(request.Resource, review, request.User, request.Namespace, request.FieldManager, Time.GetUtcNow());
        await WriteJsonAsync(request.Http, 201, response).ConfigureAwait(false);
    }
}
