namespace KubeSandbox.Authorization;

/// <summary>How kube-apiserver's authenticators present a ServiceAccount token's bearer.</summary>
public static class ServiceAccountUsers
{
    public const string AllServiceAccountsGroup = "system:serviceaccounts";
    public const string AuthenticatedGroup = "system:authenticated";

    /// <summary><c>system:serviceaccount:&lt;namespace&gt;:&lt;name&gt;</c>.</summary>
    public static string UserName(string @namespace, string name) => $"system:serviceaccount:{@namespace}:{name}";

    /// <summary><c>system:serviceaccounts:&lt;namespace&gt;</c>.</summary>
    public static string NamespaceGroup(string @namespace) => AllServiceAccountsGroup + ":" + @namespace;

    /// <summary>The user a ServiceAccount token authenticates as, with the groups the server adds.</summary>
    public static UserInfo For(string @namespace, string name, string? uid = null) =>
        new(UserName(@namespace, name), [AllServiceAccountsGroup, NamespaceGroup(@namespace), AuthenticatedGroup], uid);
}
