using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using GuardDutyCoverage.Diagnosis;
using GuardDutyCoverage.Util;
using Xunit.Abstractions;

namespace GuardDutyCoverage.Tests.Fuzz;

/// <summary>
/// Support-bundle files (<c>diagnose --bundle</c>) mutated from the test bundles: truncation, bit flips (invalid UTF-8),
/// text edits, structural JSON damage, YAML alias bombs, deep nesting, 10 MB files. Nothing escapes the loader; every
/// rejected file is an input error that names the file and says what was wrong.
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class BundleFuzzTests(ITestOutputHelper output)
{
    public const int Inputs = 600;

    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-05T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private sealed record SeedFile(string Name, byte[] Bytes);

    private static readonly SeedFile[] Seeds = Directory
        .EnumerateFiles(RepoPaths.TestData("bundles"), "*", SearchOption.AllDirectories)
        .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal)
        .Select(f => new SeedFile(Path.GetFileName(f), File.ReadAllBytes(f)))
        .ToArray();

    /// <summary>A damaged file: its name and bytes.</summary>
    private static Gen<(string Name, byte[] Bytes)> Files() =>
        Mutations.Seeded(Seeds).Select(s =>
        {
            var random = new Random(s.Mutation);
            var text = Encoding.UTF8.GetString(s.Seed.Bytes);
            return random.Next(4) switch
            {
                0 => (s.Seed.Name, Mutations.MutateBytes(s.Seed.Bytes, random)),
                1 => (s.Seed.Name, Encoding.UTF8.GetBytes(Mutations.MutateText(text, random))),
                2 => (s.Seed.Name, Encoding.UTF8.GetBytes(MutateStructure(text, random))),
                _ => (s.Seed.Name, Mutations.MutateBytes(Encoding.UTF8.GetBytes(Mutations.MutateText(text, random)), random)),
            };
        });

    private static string MutateStructure(string text, Random random)
    {
        try
        {
            var documents = YamlJson.ParseAll(text);
            var damaged = documents.Select(d => Mutations.MutateJson(d, random)).ToList();
            return random.Next(2) == 0 ? YamlJson.SerializeAll(damaged) : string.Join('\n', damaged.Select(d => d?.ToJsonString() ?? "null"));
        }
        catch (FormatException)
        {
            return text;
        }
    }

    /// <summary>Decodes as the loader's file path does (UTF-8, invalid bytes replaced) and loads.</summary>
    private static string? Check(string name, byte[] bytes)
    {
        var contents = new BundleContents();
        BundleLoader.LoadText(name, Encoding.UTF8.GetString(bytes), Now, contents);
        return CheckErrors(name, contents);
    }

    private static string? CheckErrors(string name, BundleContents contents)
    {
        foreach (var error in contents.Errors)
        {
            if (error.File != name)
            {
                return $"an error names {error.File}, not {name}";
            }

            if (string.IsNullOrWhiteSpace(error.Message))
            {
                return "an error without a message";
            }
        }

        return null;
    }

    [Fact]
    public async Task DamagedBundleFilesAreErrorsNotCrashes()
    {
        var outcome = await FuzzRunner.RunAsync("bundle files", Files(), Inputs * FuzzRunner.Scale, file => Check(file.Name, file.Bytes), file => $"{file.Name}, {file.Bytes.Length} bytes");
        output.WriteLine(outcome.ToString());
        FuzzRunner.AssertClean(outcome, Inputs);
    }

    public static TheoryData<string, string, string> HostileFiles => new()
    {
        { "alias bomb", "bomb.yaml", AliasBomb() },
        { "alias in a Kubernetes object", "ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: &m\n  name: a\nother: *m\n" },
        { "deep flow nesting", "deep.yaml", new string('[', 200_000) + new string(']', 200_000) },
        { "deep JSON nesting", "deep.json", string.Concat(Enumerable.Repeat("{\"a\":", 100_000)) + "1" + new string('}', 100_000) },
        { "deep block nesting", "block.yaml", string.Concat(Enumerable.Range(0, 3000).Select(i => new string(' ', i) + "a:\n")) + new string(' ', 3000) + "b" },
        { "10 MB of random bytes", "noise.json", Encoding.Latin1.GetString(RandomBytes(10 * 1024 * 1024)) },
        { "10 MB of one line", "line.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + new string('n', 10 * 1024 * 1024) + "\n" },
    };

    private static string AliasBomb()
    {
        var builder = new StringBuilder("a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (var i = 1; i < 12; i++)
        {
            builder.Append($"a{i}: &a{i} [{string.Join(',', Enumerable.Repeat($"*a{i - 1}", 9))}]\n");
        }

        return builder.ToString();
    }

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        new Random(FuzzRunner.Seed).NextBytes(bytes);
        return bytes;
    }

    [Theory]
    [MemberData(nameof(HostileFiles))]
    public async Task HostileFilesAreRefusedWithAReason(string what, string name, string text)
    {
        var task = Task.Run(() =>
        {
            var contents = new BundleContents();
            BundleLoader.LoadText(name, text, Now, contents);
            return contents;
        });
        var contents = await task.WaitAsync(FuzzRunner.HangLimit);
        Assert.Null(CheckErrors(name, contents));
        if (what == "10 MB of one line")
        {
            // Big but well-formed: loaded, not refused.
            Assert.Empty(contents.Errors);
            Assert.Equal(10 * 1024 * 1024, Assert.Single(contents.Namespaces).Metadata.Name.Length);
            return;
        }

        var error = Assert.Single(contents.Errors);
        output.WriteLine($"{what}: {error.Message[..Math.Min(200, error.Message.Length)]}");
        switch (what)
        {
            case "alias bomb" or "alias in a Kubernetes object":
                Assert.Contains("aliases", error.Message);
                break;
            case "deep flow nesting" or "deep block nesting":
                Assert.Contains("nested deeper than", error.Message);
                break;
        }
    }

    [Fact]
    public async Task A10MegabyteBundleFileOfValidObjectsLoads()
    {
        var pods = await File.ReadAllTextAsync(RepoPaths.TestData("bundles", "healthy", "kubectl", "pods.json"));
        var list = JsonNode.Parse(pods)!["items"]!.AsArray();
        var builder = new StringBuilder();
        var count = 0;
        while (builder.Length < 10 * 1024 * 1024)
        {
            var pod = list[count % list.Count]!.DeepClone();
            pod["metadata"]!["name"] = $"pod-{count++}";
            builder.Append(pod.ToJsonString()).Append('\n');
        }

        using var directory = new Deploy.TempDirectory();
        await File.WriteAllTextAsync(Path.Combine(directory.Path, "pods.json"), builder.ToString());
        var contents = await BundleLoader.LoadAsync(directory.Path, default).WaitAsync(FuzzRunner.HangLimit);
        Assert.Empty(contents.Errors);
        Assert.Equal(count, contents.Pods.Count);
    }

    [Fact]
    public async Task InvalidUtf8OnDiskIsReadAndReported()
    {
        using var directory = new Deploy.TempDirectory();
        var random = new Random(FuzzRunner.Seed);
        var written = 0;
        foreach (var seed in Seeds.Take(20))
        {
            var bytes = (byte[])seed.Bytes.Clone();
            for (var i = 0; i < 20; i++)
            {
                bytes[random.Next(bytes.Length)] = (byte)(0x80 | random.Next(0x80)); // continuation bytes out of place
            }

            await File.WriteAllBytesAsync(Path.Combine(directory.Path, $"{written++:00}-{seed.Name}"), bytes);
        }

        var contents = await BundleLoader.LoadAsync(directory.Path, default);
        Assert.Equal(written, contents.FilesRead);
        Assert.All(contents.Errors, e => Assert.False(string.IsNullOrWhiteSpace(e.Message)));
        Assert.All(contents.Errors, e => Assert.Matches(@"^\d\d-", e.File));
    }
}
