namespace Serving.Benchmarks;

/// <summary>One headline figure: its key in headline.json, how the table names and prints it, and its goal, if it has one.</summary>
/// <param name="Key">The key in headline.json.</param>
/// <param name="Title">The table's row title, with its unit.</param>
/// <param name="Format">A .NET number format for the table.</param>
/// <param name="Goal">The goal, as the table prints it; null for none.</param>
/// <param name="Meets">Whether a value meets the goal; null for none.</param>
internal sealed record HeadlineFigure(string Key, string Title, string Format, string? Goal = null, Func<double, bool>? Meets = null);
