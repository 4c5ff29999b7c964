using System.Globalization;
using Serving.Contracts.Ranking.V1;

namespace Serving.LoadTest.Requests;

/// <summary>The per-request fields that are the same for every request of a run.</summary>
internal sealed record RequestTemplate(string Model, string? Version, uint BudgetMs, Priority Priority);

/// <summary>Builds columnar <see cref="RankRequest"/>s from consecutive table rows (cycling at the end).</summary>
internal sealed class RankRequestFactory
{
    private readonly RawTable _table;
    private readonly IReadOnlyList<FeatureBinding> _bindings;
    private readonly RequestTemplate _template;

    public RankRequestFactory(RawTable table, IReadOnlyList<FeatureBinding> bindings, RequestTemplate template)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(bindings);
        ArgumentNullException.ThrowIfNull(template);
        if (table.Rows.Count == 0)
        {
            throw new ArgumentException("The table has no rows.", nameof(table));
        }

        _table = table;
        _bindings = bindings;
        _template = template;
    }

    /// <summary>A request whose candidates are rows <paramref name="firstRow"/>.. of the table; context features come from the first of them.</summary>
    public RankRequest Create(int candidateCount, long firstRow, string requestId)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(candidateCount, 1);
        var rows = _table.Rows;
        var start = (int)(firstRow % rows.Count);
        var request = new RankRequest
        {
            Model = _template.Model,
            Version = _template.Version ?? "",
            RequestId = requestId,
            CandidateCount = candidateCount,
            BudgetMs = _template.BudgetMs,
            Priority = _template.Priority,
            Candidates = new Features(),
        };

        foreach (var binding in _bindings)
        {
            if (binding.IsContext)
            {
                request.Context ??= new Features();
                AddColumn(request.Context, binding, rows, start, 1);
            }
            else
            {
                AddColumn(request.Candidates, binding, rows, start, candidateCount);
            }
        }

        return request;
    }

    private static void AddColumn(Features target, FeatureBinding binding, IReadOnlyList<string[]> rows, int start, int count)
    {
        if (binding.Kind == FeatureKind.Sparse)
        {
            var column = new SparseColumn { Name = binding.Name };
            for (var i = 0; i < count; i++)
            {
                column.Values.Add(rows[(start + i) % rows.Count][binding.ColumnIndex]);
            }

            target.Sparse.Add(column);
        }
        else
        {
            var column = new DenseColumn { Name = binding.Name };
            for (var i = 0; i < count; i++)
            {
                column.Values.Add(ParseDense(rows[(start + i) % rows.Count][binding.ColumnIndex]));
            }

            target.Dense.Add(column);
        }
    }

    /// <summary>A dense raw value as a float; empty or unparsable is missing (NaN), as the API defines.</summary>
    internal static float ParseDense(string raw) =>
        raw.Length > 0 && float.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : float.NaN;
}
