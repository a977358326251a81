using System.Text.Json.Nodes;

namespace KubeSandbox.Authorization;

/// <summary>
/// The default RBAC objects kube-apiserver creates at start-up (its bootstrap policy), a realistic subset: the
/// user-facing <c>cluster-admin</c>, <c>admin</c>, <c>edit</c>, <c>view</c> with their aggregation labels and the
/// <c>system:aggregate-to-*</c> roles that feed them, the discovery/basic-user/public-info/monitoring roles, and the
/// ClusterRoleBindings that grant them (<c>cluster-admin</c> to <c>system:masters</c>, discovery to
/// <c>system:authenticated</c>, ...).
/// </summary>
/// <remarks>
/// <c>admin</c>, <c>edit</c> and <c>view</c> are created with <c>rules: null</c> as the real server does; run
/// <see cref="ClusterRoleAggregator.Reconcile"/> after loading them, as kube-controller-manager would.
/// Every call returns new objects: callers own (and may mutate) what they get.
/// </remarks>
public static class BootstrapPolicy
{
    public static IReadOnlyList<JsonObject> ClusterRoles() => Parse(ClusterRolesJson);

    public static IReadOnlyList<JsonObject> ClusterRoleBindings() => Parse(ClusterRoleBindingsJson);

    private static List<JsonObject> Parse(string json) => [.. JsonNode.Parse(json)!.AsArray().Select(node => node!.AsObject())];

    private const string ClusterRolesJson = """
        [
          {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "admin", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}, "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}},
            "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-admin": "true"}}]},
            "rules": null
          },
          {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "cluster-admin", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}, "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}},
            "rules": [
              {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]},
              {"verbs": ["*"], "nonResourceURLs": ["*"]}
            ]
          },
          {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "edit", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults", "rbac.authorization.k8s.io/aggregate-to-admin": "true"}, "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}},
            "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-edit": "true"}}]},
            "rules": null
          },
          {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "system:aggregate-to-admin", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults", "rbac.authorization.k8s.io/aggregate-to-admin": "true"}, "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}},
            "rules": [
              {"verbs": ["create"], "apiGroups": ["authorization.k8s.io"], "resources": ["localsubjectaccessreviews"]},
              {"verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"], "apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings", "roles"]}
            ]
          },
          {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "system:aggregate-to-edit", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults", "rbac.authorization.k8s.io/aggregate-to-edit": "true"}, "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}},
            "rules": [
              {"verbs": ["get", "list", "watch"], "apiGroups": [""], "resources": ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"]},
              {"verbs": ["impersonate"], "apiGroups": [""], "resources": ["serviceaccounts"]},
              {"verbs": ["create", "delete", "deletecollection", "patch", "update"], "apiGroups": [""], "resources": ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"]},
              {"verbs": ["create"], "apiGroups": [""], "resources": ["pods/eviction"]},
              {"verbs": ["create", "delete", "deletecollection", "patch", "update"], "apiGroups": [""], "resources": ["configmaps", "events", "persistentvolumeclaims", "replicationcontrollers", "replicationcontrollers/scale", "secrets", "serviceaccounts", "services", "services/proxy"]},
              {"verbs": ["create"], "apiGroups": [""], "resources": ["serviceaccounts/token"]},
              {"verbs": ["create", "delete", "deletecollection", "patch", "update"], "apiGroups": ["apps"], "resources": ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"]},
              {"verbs": ["create", "delete", "deletecollection", "patch", "update"], "apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers"]},
              {"verbs": ["create", "delete", "deletecollection", "patch", "update"], "apiGroups": ["batch"], "resources": ["cronjobs", "jobs"]},
              {"verbs": ["create", "delete", "deletecollection", "patch", "update"], "apiGroups": ["extensions"], "resources": ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "ingresses", "networkpolicies", "replicasets", "replicasets/scale", "replicationcontrollers/scale"]},
              {"verbs": ["create", "delete", "deletecollection", "patch", "update"], "apiGroups": ["policy"], "resources": ["poddisruptionbudgets"]},
              {"verbs": ["create", "delete", "deletecollection", "patch", "update"], "apiGroups": ["networking.k8s.io"], "resources": ["ingresses", "networkpolicies"]},
              {"verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"], "apiGroups": ["coordination.k8s.io"], "resources": ["leases"]}
            ]
          },
          {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "system:aggregate-to-view", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults", "rbac.authorization.k8s.io/aggregate-to-view": "true"}, "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}},
            "rules": [
              {"verbs": ["get", "list", "watch"], "apiGroups": [""], "resources": ["configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/status"]},
              {"verbs": ["get", "list", "watch"], "apiGroups": [""], "resources": ["bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status", "replicationcontrollers/status", "resourcequotas", "resourcequotas/status"]},
              {"verbs": ["get", "list", "watch"], "apiGroups": [""], "resources": ["namespaces"]},
              {"verbs": ["get", "list", "watch"], "apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"]},
              {"verbs": ["get", "list", "watch"], "apiGroups": ["apps"], "resources": ["controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "replicasets", "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status"]},
              {"verbs": ["get", "list", "watch"], "apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]},
              {"verbs": ["get", "list", "watch"], "apiGroups": ["batch"], "resources": ["cronjobs", "cronjobs/status", "jobs", "jobs/status"]},
              {"verbs": ["get", "list", "watch"], "apiGroups": ["extensions"], "resources": ["daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "ingresses", "ingresses/status", "networkpolicies", "replicasets", "replicasets/scale", "replicasets/status", "replicationcontrollers/scale"]},
              {"verbs": ["get", "list", "watch"], "apiGroups": ["policy"], "resources": ["poddisruptionbudgets", "poddisruptionbudgets/status"]},
              {"verbs": ["get", "list", "watch"], "apiGroups": ["networking.k8s.io"], "resources": ["ingresses", "ingresses/status", "networkpolicies"]}
            ]
          },
          {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "system:auth-delegator", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}, "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}},
            "rules": [
              {"verbs": ["create"], "apiGroups": ["authentication.k8s.io"], "resources": ["tokenreviews"]},
              {"verbs": ["create"], "apiGroups": ["authorization.k8s.io"], "resources": ["subjectaccessreviews"]}
            ]
          },
          {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "system:basic-user", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}, "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}},
            "rules": [
              {"verbs": ["create"], "apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]}
            ]
          },
          {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "system:discovery", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}, "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}},
            "rules": [
              {"verbs": ["get"], "nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"]}
            ]
          },
          {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "system:monitoring", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}, "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}},
            "rules": [
              {"verbs": ["get"], "nonResourceURLs": ["/healthz", "/healthz/*", "/livez", "/livez/*", "/metrics", "/readyz", "/readyz/*"]}
            ]
          },
          {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "system:public-info-viewer", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}, "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}},
            "rules": [
              {"verbs": ["get"], "nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"]}
            ]
          },
          {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "view", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults", "rbac.authorization.k8s.io/aggregate-to-edit": "true"}, "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}},
            "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}}]},
            "rules": null
          }
        ]
        """;

    private const string ClusterRoleBindingsJson = """
        [
          {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "cluster-admin", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}, "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [
              {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"}
            ]
          },
          {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "system:basic-user", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}, "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:basic-user"},
            "subjects": [
              {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:authenticated"}
            ]
          },
          {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "system:discovery", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}, "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:discovery"},
            "subjects": [
              {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:authenticated"}
            ]
          },
          {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "system:monitoring", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}, "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:monitoring"},
            "subjects": [
              {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:monitoring"}
            ]
          },
          {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "system:public-info-viewer", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}, "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:public-info-viewer"},
            "subjects": [
              {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:authenticated"},
              {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:unauthenticated"}
            ]
          }
        ]
        """;
}
