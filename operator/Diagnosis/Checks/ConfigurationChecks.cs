using System.Globalization;
using GuardDutyCoverage.Api;

namespace GuardDutyCoverage.Diagnosis.Checks;

/// <summary>AgentConfigurationValid: field ownership, image registry, agent version vs minimum and vs Kubernetes.</summary>
internal static class ConfigurationChecks
{
    /// <summary>Fields the add-on sets even when its managedFields entry no longer lists them (another manager took them).</summary>
    private static readonly string[] AddonAppliedFields =
    [
        ".spec.template.spec.priorityClassName",
        ".spec.template.spec.dnsPolicy",
        $".spec.template.spec.containers[name=\"{Catalog.AgentContainerName}\"].image",
        $".spec.template.spec.containers[name=\"{Catalog.AgentContainerName}\"].resources",
    ];

    public static void Run(DiagnosisContext context)
    {
        var ok = new List<string>();
        if (context.DaemonSet is not null)
        {
            FieldConflicts(context, ok);
            Registry(context, ok);
        }

        MinimumVersion(context, ok);
        KubernetesCompatibility(context, ok);
        if (ok.Count > 0)
        {
            context.Note(CheckTypes.AgentConfigurationValid, ConditionStatus.True, "ConfigurationAsDeployed", string.Join(" ", ok));
        }
        else if (context.DaemonSet is null && context.AgentVersion() is null)
        {
            context.Note(CheckTypes.AgentConfigurationValid, ConditionStatus.Unknown, ConditionReasons.NotObserved, "No agent DaemonSet or add-on version to check.");
        }
    }

    private static void FieldConflicts(DiagnosisContext context, List<string> ok)
    {
        var entries = context.DaemonSet!.Metadata?.ManagedFields ?? [];
        var addonEntries = entries.Where(e => e.Manager == Catalog.AddonFieldManager && e.Operation == "Apply" && string.IsNullOrEmpty(e.Subresource)).ToList();
        if (addonEntries.Count == 0)
        {
            ok.Add($"The DaemonSet has no field manager \"{Catalog.AddonFieldManager}\" (Apply): not deployed by the EKS add-on, field ownership not checked.");
            return;
        }

        var addonOwned = addonEntries.SelectMany(e => ManagedFields.Flatten(e.FieldsV1)).ToList();
        var addonLeaves = addonOwned.Where(f => !f.IsElement).Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        var addonElements = addonOwned.Where(f => f.IsElement && f.Path.EndsWith(']')).Select(f => f.Path).ToList();

        var conflicts = new List<(string Manager, string Operation, string Time, string Field)>();
        foreach (var entry in entries)
        {
            // "before-first-apply" is the API server's placeholder owner of fields that existed before the first
            // server-side apply (an object created without one): nobody edited them, so they cannot conflict.
            if (entry.Manager == Catalog.AddonFieldManager && entry.Operation == "Apply" || !string.IsNullOrEmpty(entry.Subresource)
                || entry.Manager == "before-first-apply")
            {
                continue;
            }

            foreach (var field in ManagedFields.Flatten(entry.FieldsV1))
            {
                if (field.IsElement || addonLeaves.Contains(field.Path) || !field.Path.StartsWith(".spec", StringComparison.Ordinal))
                {
                    continue;
                }

                var underAddonElement = addonElements.Any(prefix => field.Path.StartsWith(prefix + ".", StringComparison.Ordinal));
                if (underAddonElement || AddonAppliedFields.Contains(field.Path))
                {
                    conflicts.Add((entry.Manager ?? "(unknown)", entry.Operation ?? "Update", ManagedFields.FormatTime(entry.Time), field.Path));
                }
            }
        }

        if (conflicts.Count == 0)
        {
            ok.Add($"Every field the add-on applies is still owned by field manager \"{Catalog.AddonFieldManager}\".");
            return;
        }

        var text = string.Join("; ", conflicts.Select(c => $"field manager \"{c.Manager}\" ({c.Operation} at {c.Time}) owns {c.Field}"));
        context.Add(ReasonCodes.AgentImageFieldConflict, FindingSource.Local,
            $"DaemonSet.apps {context.Target.DaemonSetName}: {text}, which the add-on applies as field manager \"{Catalog.AddonFieldManager}\"; the next add-on update without OVERWRITE fails with ConfigurationConflict.",
            new Dictionary<string, string>
            {
                ["manager"] = string.Join(", ", conflicts.Select(c => c.Manager).Distinct()),
                ["field"] = string.Join(", ", conflicts.Select(c => c.Field).Distinct()),
            });
    }

    private static void Registry(DiagnosisContext context, List<string> ok)
    {
        if (context.ImageRef is not { } image)
        {
            return;
        }

        var region = context.Region;
        if (region is null)
        {
            ok.Add($"Image registry {image.Registry} not checked: the region is unknown.");
            return;
        }

        var registries = AgentRegistries.For(region);
        if (registries.Count == 0)
        {
            ok.Add($"Image registry {image.Registry} not checked: no documented agent registry for region {region}.");
            return;
        }

        if (registries.Contains(image.Registry, StringComparer.OrdinalIgnoreCase))
        {
            ok.Add($"Image {context.Image} comes from a documented GuardDuty registry of {region}.");
            return;
        }

        context.Add(ReasonCodes.AgentImageRegistryUnexpected, FindingSource.Local,
            $"The agent image {context.Image} comes from {image.Registry}, which is not one of the documented GuardDuty agent registries of {region} ({string.Join(", ", registries)}).");
    }

    private static void MinimumVersion(DiagnosisContext context, List<string> ok)
    {
        var minimumText = context.Target.MinimumVersion;
        if (string.IsNullOrWhiteSpace(minimumText) || !SemanticVersion.TryParse(minimumText, out var minimum))
        {
            return;
        }

        var sightings = new List<(FindingSource Source, string Text, SemanticVersion Version)>();
        if (context.ImageRef?.Tag is { } tag && SemanticVersion.TryParse(tag, out var fromImage))
        {
            sightings.Add((FindingSource.Local, $"image tag {tag}", fromImage));
        }

        var gdVersion = context.Coverage?.ResourceDetails?.EksClusterDetails?.AddonDetails?.AddonVersion;
        if (SemanticVersion.TryParse(gdVersion, out var fromGuardDuty))
        {
            sightings.Add((FindingSource.GuardDuty, $"GuardDuty reports add-on version {gdVersion}", fromGuardDuty));
        }

        if (SemanticVersion.TryParse(context.Addon?.AddonVersion, out var fromEks))
        {
            sightings.Add((FindingSource.EksAddon, $"EKS reports add-on version {context.Addon!.AddonVersion}", fromEks));
        }

        var below = sightings.Where(s => s.Version < minimum).ToList();
        foreach (var (source, text, _) in below)
        {
            context.Add(ReasonCodes.AgentVersionBelowMinimum, source, $"{Capitalize(text)} is below spec.agent.minimumVersion {minimumText}.");
        }

        if (below.Count == 0 && sightings.Count > 0)
        {
            ok.Add($"Agent version {sightings[0].Version} meets the minimum {minimumText}.");
        }
    }

    private static void KubernetesCompatibility(DiagnosisContext context, List<string> ok)
    {
        var agent = context.AgentVersion();
        var kubernetes = context.KubernetesVersion();
        if (agent is null || kubernetes is null)
        {
            return;
        }

        var (agentVersion, agentText, _) = agent.Value;
        var (kubeVersion, kubeText, kubeSource) = kubernetes.Value;
        var range = AgentVersions.SupportedKubernetes(agentVersion);
        if (range is not null)
        {
            if (range.Contains(kubeVersion))
            {
                ok.Add($"Agent {agentText} supports Kubernetes {kubeVersion.MinorString} ({range}).");
            }
            else
            {
                context.Add(ReasonCodes.AddonIncompatibleClusterVersion, kubeSource == FindingSource.Local ? FindingSource.Local : FindingSource.EksAddon,
                    $"Agent {agentText} supports Kubernetes {range}; the cluster runs {kubeText}.");
            }
        }

        // EKS's own compatibility data is newer than the documented table.
        if (context.Snapshot.Aws?.AddonVersions is { Succeeded: true, Value: { } versions } && SemanticVersion.TryParse(context.Addon?.AddonVersion ?? agentText, out _))
        {
            var wanted = context.Addon?.AddonVersion ?? agentText;
            var entry = versions.FirstOrDefault(v => string.Equals(v.AddonVersion, wanted, StringComparison.OrdinalIgnoreCase))
                ?? versions.FirstOrDefault(v => SemanticVersion.TryParse(v.AddonVersion, out var listed) && listed == agentVersion);
            var minor = kubeVersion.MinorString;
            var compatible = entry is not null && (entry.Compatibilities is null || entry.Compatibilities.Any(c => c.ClusterVersion == minor));
            if (!compatible)
            {
                var supported = versions.Select(v => v.AddonVersion).Where(v => v is not null).Take(5).ToList();
                context.Add(ReasonCodes.AddonIncompatibleClusterVersion, FindingSource.EksAddon,
                    string.Create(CultureInfo.InvariantCulture,
                        $"EKS DescribeAddonVersions lists no compatibility of {wanted} with Kubernetes {minor}{(supported.Count > 0 ? $" (versions for {minor}: {string.Join(", ", supported)})" : "")}."));
            }
        }
    }

    private static string Capitalize(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
