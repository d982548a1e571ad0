namespace Spokes.Tests.Support;

/// <summary>
/// The products' own build outputs, found by walking up from the test assembly to the folder holding
/// Spokes.sln: the copies next to the tests resolve their dependencies from the test's deps file and may miss some.
/// </summary>
internal static class Binaries
{
    private static readonly Lazy<(string Node, string Agent)> Paths = new(Find);

    public static string Spokes => Paths.Value.Node;

    public static string Agent => Paths.Value.Agent;

    private static (string, string) Find()
    {
        var testDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = testDir.Name;
        string configuration = testDir.Parent?.Name ?? "Debug";
        var root = testDir;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Spokes.sln")))
        {
            root = root.Parent;
        }

        if (root is null)
        {
            throw new InvalidOperationException($"no Spokes.sln above {AppContext.BaseDirectory}");
        }

        string node = Path.Combine(root.FullName, "Spokes.Cli", "bin", configuration, framework, "spokes.dll");
        string agent = Path.Combine(root.FullName, "Spokes.Agent", "bin", configuration, framework, "spokes-agent.dll");
        foreach (string path in new[] { node, agent })
        {
            if (!File.Exists(path))
            {
                throw new InvalidOperationException($"{path} is missing: build Spokes.Tests (it builds the CLI and the agent)");
            }
        }

        return (node, agent);
    }
}
