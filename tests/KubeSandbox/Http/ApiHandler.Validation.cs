using System.Text.Json.Nodes;
using KubeSandbox.Json;
using KubeSandbox.Resources;
using KubeSandbox.Semantics;

namespace KubeSandbox.Http;

/// <summary>The registry strategies' validation of an object before it is stored (422).</summary>
internal sealed partial class ApiHandler
{
    /// <summary>The custom resource strategy's validation: ObjectMeta and the CRD schema (422, k8s-golden 12-15, 29).</summary>
    private void ValidateCustomResource(ServedResource resource, JsonObject obj, string name)
    {
        if (resource.Info.IsCustomResource && _options.SchemaValidator is { } validator)
        {
            var causes = validator.Validate(obj, resource.Info);
            if (causes.Count > 0)
            {
                throw new ApiException(422, ApiStatus.Invalid(resource.Kind, resource.Group, name, causes));
            }
        }
    }

    /// <summary>The few built-in validations the sandbox needs to keep its own state consistent.</summary>
    private static void ValidateBuiltin(ServedResource resource, JsonObject obj, string name)
    {
        if (resource.IsCustomResourceDefinition)
        {
            var group = JsonUtil.GetString(obj, "spec", "group") ?? string.Empty;
            var plural = JsonUtil.GetString(obj, "spec", "names", "plural") ?? string.Empty;
            var causes = new List<FieldError>();
            if (name != $"{plural}.{group}")
            {
                causes.Add(new FieldError("FieldValueInvalid", "metadata.name", $"Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group"));
            }

            if (string.IsNullOrEmpty(JsonUtil.GetString(obj, "spec", "names", "kind")))
            {
                causes.Add(new FieldError("FieldValueRequired", "spec.names.kind", "Required value"));
            }

            var versions = obj["spec"]?["versions"] as JsonArray ?? [];
            if (versions.Count == 0)
            {
                causes.Add(new FieldError("FieldValueInvalid", "spec.versions", "Invalid value: null: must have exactly one version marked as storage version"));
            }

            if (causes.Count > 0)
            {
                throw ApiErrors.Invalid(resource, name, causes);
            }
        }
    }
}
