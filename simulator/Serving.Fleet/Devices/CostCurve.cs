using System.Globalization;

namespace Serving.Fleet.Devices;

/// <summary>
/// Compute time of one batch by its rows on one device: straight lines between measured points
/// (rows → ms), extended past the last point along the last segment. Loaded from a CSV of
/// <c>batchRows,meanMs</c> (the benchmark's raw ONNX Runtime runs) or given as fixed + per-row cost.
/// </summary>
internal sealed class CostCurve
{
    private readonly (int Rows, double Ms)[] _points;

    public CostCurve(IEnumerable<(int Rows, double Ms)> points)
    {
        _points = [.. points.OrderBy(p => p.Rows)];
        if (_points.Length == 0)
        {
            throw new ArgumentException("a cost curve needs at least one point", nameof(points));
        }
    }

    /// <summary>A device whose batch costs a fixed launch overhead plus a cost per row (the GPU parameter set).</summary>
    public static CostCurve Linear(double fixedMs, double perRowMs) => new([(0, fixedMs), (1024, fixedMs + (1024 * perRowMs))]);

    /// <summary>Reads <c>batchRows,meanMs</c> lines (a header and # comments allowed).</summary>
    public static CostCurve Load(string path)
    {
        var points = new List<(int, double)>();
        foreach (var line in File.ReadLines(path))
        {
            var cells = line.Split(',', StringSplitOptions.TrimEntries);
            if (cells.Length >= 2
                && int.TryParse(cells[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var rows)
                && double.TryParse(cells[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var ms))
            {
                points.Add((rows, ms));
            }
        }

        return new CostCurve(points);
    }

    public double Ms(int rows)
    {
        if (_points.Length == 1 || rows <= _points[0].Rows)
        {
            return _points.Length == 1 ? _points[0].Ms * Math.Max(rows, 1) / Math.Max(_points[0].Rows, 1) : _points[0].Ms;
        }

        for (var i = 1; i < _points.Length; i++)
        {
            if (rows <= _points[i].Rows || i == _points.Length - 1)
            {
                var (r0, m0) = _points[i - 1];
                var (r1, m1) = _points[i];
                return m0 + ((m1 - m0) * (rows - r0) / (r1 - r0));
            }
        }

        return _points[^1].Ms;
    }

    public TimeSpan Compute(int rows) => TimeSpan.FromMilliseconds(Ms(rows));
}
