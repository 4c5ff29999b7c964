using NetArchTest.Rules;
using Serving.Models;

namespace Serving.Tests.Architecture;

/// <summary>
/// The engine's folders depend one way, down the request's path: Models ← Features ← Batching ←
/// Execution; Telemetry observes them; Admission and Allocation sit beside; the Registry of served
/// versions composes them; Api and Hosting are on top (docs/architecture.md has the picture).
/// A back edge fails here, naming the type and what it uses.
/// </summary>
public class DependencyDirectionTests
{
    /// <summary>Every stage of the engine and the stages it may use (besides itself and Serving.Contracts).</summary>
    public static readonly TheoryData<string, string[]> Layers = new()
    {
        { "Models", [] },
        { "Features", ["Models"] },
        { "Batching", ["Features", "Models"] },
        { "Execution", ["Batching", "Features", "Models"] },
        { "Telemetry", ["Execution", "Batching", "Features", "Models"] },
        { "Admission", ["Telemetry", "Batching", "Models"] },
        { "Allocation", ["Telemetry", "Batching", "Models"] },
        { "Registry", ["Allocation", "Telemetry", "Execution", "Batching", "Features", "Models"] },
        { "Api", ["Registry", "Admission", "Telemetry", "Batching", "Features", "Models"] },
        { "Hosting", ["Api", "Registry", "Allocation", "Admission", "Telemetry", "Execution", "Batching", "Features", "Models"] },
    };

    private static readonly string[] AllStages = [.. Layers.Select(row => (string)row[0])];

    [Theory]
    [MemberData(nameof(Layers))]
    public void A_stage_uses_only_the_stages_below_it(string stage, string[] allowed)
    {
        var forbidden = AllStages.Where(s => s != stage && !allowed.Contains(s)).Select(s => $"Serving.{s}").ToArray();

        var result = Types.InAssembly(typeof(ModelSpec).Assembly)
            .That().ResideInNamespaceMatching($@"^Serving\.{stage}(\..+)?$")
            .ShouldNot().HaveDependencyOnAny(forbidden)
            .GetResult();

        Assert.True(result.IsSuccessful, $"Serving.{stage} may use only {string.Join(", ", allowed)}; back edges:\n" +
            string.Join("\n", (result.FailingTypes ?? []).Select(t => $"  {t.FullName}: {t.Explanation}")));
    }

    [Fact]
    public void Every_type_of_the_engine_is_in_one_of_the_stages()
    {
        var outside = Types.InAssembly(typeof(ModelSpec).Assembly)
            .GetTypes()
            .Select(t => t.ReflectionType)
            .Where(t => t.Namespace is { } ns && ns.StartsWith("Serving", StringComparison.Ordinal)
                && !AllStages.Any(s => ns == $"Serving.{s}" || ns.StartsWith($"Serving.{s}.", StringComparison.Ordinal)))
            .Select(t => t.FullName)
            .ToList();

        Assert.Empty(outside);
    }
}
