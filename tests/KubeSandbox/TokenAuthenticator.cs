using System.Collections.Concurrent;
using KubeSandbox.Authorization;

namespace KubeSandbox;

/// <summary>
/// kube-apiserver's bearer-token authentication as the sandbox runs it: static tokens (<see cref="SandboxOptions.Users"/>,
/// <see cref="SandboxServer.AddUser"/>) and ServiceAccount tokens, which stop authenticating once their ServiceAccount
/// is deleted or replaced (a new uid), like bound tokens. Every authenticated user is in <c>system:authenticated</c>.
/// </summary>
internal sealed class TokenAuthenticator
{
    private readonly ConcurrentDictionary<string, Credential> _tokens = new(StringComparer.Ordinal);
    private readonly IObjectReader _cluster;

    public TokenAuthenticator(IReadOnlyDictionary<string, UserInfo> users, IObjectReader cluster)
    {
        _cluster = cluster;
        foreach (var (token, user) in users)
        {
            Add(token, user);
        }
    }

    /// <summary>Adds or replaces a static token.</summary>
    public void Add(string token, UserInfo user) => _tokens[token] = new Credential(WithAuthenticatedGroup(user), null, null);

    /// <summary>Adds a token bound to the ServiceAccount <paramref name="name"/> with <paramref name="uid"/>.</summary>
    public void AddServiceAccount(string token, string @namespace, string name, string uid) =>
        _tokens[token] = new Credential(ServiceAccountUsers.For(@namespace, name, uid), @namespace, name);

    /// <summary>The user of a bearer token, or null when the token is unknown or its ServiceAccount is gone.</summary>
    public UserInfo? Authenticate(string token)
    {
        if (!_tokens.TryGetValue(token, out var credential))
        {
            return null;
        }

        if (credential.ServiceAccountNamespace is { } ns)
        {
            var account = _cluster.Get("", "serviceaccounts", ns, credential.ServiceAccountName!);
            if (account?["metadata"]?["uid"]?.GetValue<string>() != credential.User.Uid)
            {
                return null;
            }
        }

        return credential.User;
    }

    private static UserInfo WithAuthenticatedGroup(UserInfo user) =>
        user.Groups.Contains(ServiceAccountUsers.AuthenticatedGroup) || user.Name == "system:anonymous"
            ? user
            : user with { Groups = [.. user.Groups, ServiceAccountUsers.AuthenticatedGroup] };

    private sealed record Credential(UserInfo User, string? ServiceAccountNamespace, string? ServiceAccountName);
}
