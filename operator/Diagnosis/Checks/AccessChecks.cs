using System.Globalization;
using GuardDutyCoverage.Api;
using k8s.Models;

namespace GuardDutyCoverage.Diagnosis.Checks;

/// <summary>PriorityClassReady and AddonManagerAuthorized.</summary>
internal static class AccessChecks
{
    public static void RunPriorityClass(DiagnosisContext context)
    {
        var snapshot = context.Snapshot;
        var name = context.Target.PriorityClassName;
        if (!snapshot.Observed(SnapshotKinds.PriorityClass))
        {
            context.Note(CheckTypes.PriorityClassReady, ConditionStatus.Unknown, ConditionReasons.NotObserved, "PriorityClasses were not read.");
            return;
        }

        var priorityClass = snapshot.PriorityClass;
        if (priorityClass is null)
        {
            var used = context.DaemonSet?.Spec?.Template?.Spec?.PriorityClassName;
            var usedNote = used is not null && used != name ? $" (the DaemonSet uses {used})" : "";
            context.Add(ReasonCodes.PriorityClassMissing, FindingSource.Local, $"PriorityClass {name} does not exist{usedNote}.");
            return;
        }

        context.Note(CheckTypes.PriorityClassReady, ConditionStatus.True, "PriorityClassPresent",
            string.Create(CultureInfo.InvariantCulture,
                $"PriorityClass {priorityClass.Metadata?.Name} exists (value {priorityClass.Value}, preemptionPolicy {priorityClass.PreemptionPolicy ?? "PreemptLowerPriority"})."));
    }

    public static void RunAddonManager(DiagnosisContext context)
    {
        var snapshot = context.Snapshot;
        var reviews = snapshot.AccessReviews?.Where(r => r.Error is null).ToList();
        var bindingsObserved = snapshot.Observed(SnapshotKinds.ClusterRoleBinding);
        if (!bindingsObserved && reviews is null or { Count: 0 })
        {
            context.Note(CheckTypes.AddonManagerAuthorized, ConditionStatus.Unknown, ConditionReasons.NotObserved,
                "ClusterRoleBindings were not read and no SubjectAccessReview was made.");
            return;
        }

        var bindingProblem = bindingsObserved ? BindingProblem(snapshot.ClusterRoleBindings) : null;
        var otherBindings = bindingsObserved
            ? snapshot.ClusterRoleBindings.Where(b => b.Metadata?.Name != Catalog.AddonClusterAdminBinding && BindsAddonManagerToClusterAdmin(b)).Select(b => b.Metadata?.Name).ToList()
            : [];

        if (reviews is { Count: > 0 })
        {
            var denied = reviews.Where(r => !r.Allowed).ToList();
            if (denied.Count > 0)
            {
                var what = string.Join("; ", denied.Select(r => r.Probe.Describe()));
                var message = $"SubjectAccessReview: User {Catalog.AddonManagerUser} may not {what}.";
                if (bindingProblem is not null)
                {
                    message += " " + bindingProblem;
                }

                context.Add(ReasonCodes.AddonManagerForbidden, FindingSource.Local, message);
                return;
            }

            var via = bindingProblem is null ? "" : $" (through other bindings; {bindingProblem})";
            context.Note(CheckTypes.AddonManagerAuthorized, ConditionStatus.True, "AddonManagerAllowed",
                $"SubjectAccessReview: User {Catalog.AddonManagerUser} may {string.Join(", ", reviews.Select(r => r.Probe.Describe()))}{via}.");
            return;
        }

        if (bindingProblem is not null && otherBindings.Count == 0)
        {
            context.Add(ReasonCodes.AddonManagerForbidden, FindingSource.Local, bindingProblem);
            return;
        }

        var bindingText = bindingProblem is null
            ? $"ClusterRoleBinding {Catalog.AddonClusterAdminBinding} binds User {Catalog.AddonManagerUser} to ClusterRole cluster-admin."
            : $"{bindingProblem} ClusterRoleBinding {string.Join(", ", otherBindings)} grants it cluster-admin instead.";
        context.Note(CheckTypes.AddonManagerAuthorized, ConditionStatus.True, "AddonManagerAllowed", bindingText);
    }

    /// <summary>Why the seed's binding is not in place, or null when it is exactly as documented.</summary>
    private static string? BindingProblem(IReadOnlyList<V1ClusterRoleBinding> bindings)
    {
        var binding = bindings.FirstOrDefault(b => b.Metadata?.Name == Catalog.AddonClusterAdminBinding);
        if (binding is null)
        {
            return $"ClusterRoleBinding {Catalog.AddonClusterAdminBinding} does not exist.";
        }

        var problems = new List<string>();
        if (binding.RoleRef is not { Kind: "ClusterRole", Name: "cluster-admin" })
        {
            problems.Add($"its roleRef is {binding.RoleRef?.Kind}/{binding.RoleRef?.Name}, not ClusterRole/cluster-admin");
        }

        if (!(binding.Subjects ?? []).Any(IsAddonManager))
        {
            var subjects = string.Join(", ", (binding.Subjects ?? []).Select(s => $"{s.Kind} {s.Name}"));
            problems.Add($"its subjects ({(subjects.Length == 0 ? "none" : subjects)}) do not include User {Catalog.AddonManagerUser}");
        }

        return problems.Count == 0 ? null : $"ClusterRoleBinding {Catalog.AddonClusterAdminBinding} exists but {string.Join(" and ", problems)}.";
    }

    private static bool BindsAddonManagerToClusterAdmin(V1ClusterRoleBinding binding) =>
        binding.RoleRef is { Kind: "ClusterRole", Name: "cluster-admin" } && (binding.Subjects ?? []).Any(IsAddonManager);

    private static bool IsAddonManager(Rbacv1Subject subject) =>
        subject.Kind == "User" && subject.Name == Catalog.AddonManagerUser &&
        (string.IsNullOrEmpty(subject.ApiGroup) || subject.ApiGroup == "rbac.authorization.k8s.io");
}
