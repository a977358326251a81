using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace KubeSandbox.Admission;

/// <summary>Source-generated serialization for the JSON documents admission sends (no reflection).</summary>
[JsonSerializable(typeof(JsonObject))]
internal sealed partial class SandboxAdmissionJsonContext : JsonSerializerContext;
