using System.Text.Json.Nodes;

namespace GuardDutyCoverage.Tests.Deploy;

/// <summary>Runs config/argocd/health.lua as Argo CD does: a chunk with the object in global <c>obj</c>, returning <c>hs</c>.</summary>
public static class ArgoCdHealth
{
    public static string Script => Path.Combine(RepoPaths.Root, "config", "argocd", "health.lua");

    public static async Task<(string Status, string Message)> EvaluateAsync(string interpreter, JsonNode obj)
    {
        using var scratch = new TempDirectory();
        var harness = Path.Combine(scratch.Path, "harness.lua");
        await File.WriteAllTextAsync(harness, $$"""
            obj = {{LuaLiteral.From(obj)}}
            local check = assert(loadfile(arg[1]))
            local hs = check()
            assert(type(hs) == "table", "the health check must return a table")
            io.write(tostring(hs.status), "\n", tostring(hs.message))
            """);
        var output = (await DeployTools.RunAsync(interpreter, [harness, Script])).Ok($"{interpreter} health.lua");
        var newline = output.IndexOf('\n', StringComparison.Ordinal);
        return (output[..newline], output[(newline + 1)..]);
    }

    public static IReadOnlyList<string> Interpreters()
    {
        if (DeployTools.InCi)
        {
            Assert.True(DeployTools.LuaInterpreters.Count == 2, "CI must have lua5.1 (Argo CD's dialect) and lua5.4: hack/install-tools.sh lua");
        }

        Assert.NotEmpty(DeployTools.LuaInterpreters);
        return DeployTools.LuaInterpreters;
    }
}
