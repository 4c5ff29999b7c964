namespace Serving.Execution;

/// <summary>
/// Predicted compute time of a batch by its rows on one device: a line (fixed cost per batch plus
/// cost per row) fitted by exponentially weighted least squares over measured batches, seeded and
/// kept in bounds by the warm-up runs. Thread-safe.
/// </summary>
/// <remarks>
/// The warm-up's timed runs (<see cref="Seed"/>) span every batch size class up to the largest.
/// They enter the fit as the first observations, and decay like any other, so the measured
/// batches soon decide. But the measured cost per row stays within a factor
/// <see cref="MaxSlopeRatio"/> of the warm-up's, the line still passing through the weighted mean
/// of what was observed. Under steady load measured batches fall in a narrow range of sizes, and a
/// line through a narrow, noisy cloud can have any slope: extrapolated to the largest batch it once
/// predicted 49 ms where 1,024 rows took about 4, and the controller cut the batch size to 83 rows.
/// </remarks>
public sealed class BatchCostModel
{
    /// <summary>How far the measured cost per row may stray from the warm-up's, either way.</summary>
    public const double MaxSlopeRatio = 4;

    private readonly Lock _lock = new();
    private readonly double _decay;
    private double _w, _x, _y, _xx, _xy;
    private double _sw, _sx, _sy, _sxx, _sxy;
    private double _fixedSeconds = 0.0001;
    private double _perRowSeconds = 0.00001;

    /// <param name="decay">Weight kept by past observations at each new one (0.99 ≈ the last hundred batches).</param>
    public BatchCostModel(double decay = 0.99)
    {
        _decay = decay;
    }

    /// <summary>Timed warm-up runs recorded (<see cref="Seed"/>); measured batches do not count.</summary>
    public int WarmUpRuns
    {
        get
        {
            lock (_lock)
            {
                return (int)_sw;
            }
        }
    }

    /// <summary>Observations so far (weighted).</summary>
    public double Weight
    {
        get
        {
            lock (_lock)
            {
                return _w;
            }
        }
    }

    /// <summary>A measured batch: counts fully now, and its weight decays with every later one.</summary>
    public void Observe(int rows, TimeSpan compute)
    {
        double x = rows;
        var y = compute.TotalSeconds;
        lock (_lock)
        {
            _w = (_w * _decay) + 1;
            _x = (_x * _decay) + x;
            _y = (_y * _decay) + y;
            _xx = (_xx * _decay) + (x * x);
            _xy = (_xy * _decay) + (x * y);
            Fit();
        }
    }

    /// <summary>A timed warm-up run: observed like a measured batch, and it bounds the cost per row for good.</summary>
    public void Seed(int rows, TimeSpan compute)
    {
        double x = rows;
        var y = compute.TotalSeconds;
        lock (_lock)
        {
            _sw++;
            _sx += x;
            _sy += y;
            _sxx += x * x;
            _sxy += x * y;
        }

        Observe(rows, compute);
    }

    private void Fit()
    {
        double fixedSeconds;
        double perRow;
        if (Line(_w, _x, _y, _xx, _xy) is { } line)
        {
            (fixedSeconds, perRow) = line;
        }
        else
        {
            // One batch size so far: attribute the cost to rows, keeping the fixed part.
            fixedSeconds = _fixedSeconds;
            perRow = Math.Max(((_y / _w) - _fixedSeconds) / Math.Max(_x / _w, 1), 1e-9);
        }

        if (Line(_sw, _sx, _sy, _sxx, _sxy) is { PerRow: > 1e-9 } warmUp)
        {
            var bounded = Math.Clamp(perRow, warmUp.PerRow / MaxSlopeRatio, warmUp.PerRow * MaxSlopeRatio);
            if (bounded != perRow)
            {
                // Same weighted mean, bounded slope.
                perRow = bounded;
                fixedSeconds = Math.Max((_y / _w) - (perRow * (_x / _w)), 0);
            }
        }

        (_fixedSeconds, _perRowSeconds) = (fixedSeconds, perRow);
    }

    /// <summary>The least-squares line through weighted sums; null when the sizes do not vary enough.</summary>
    private static (double Fixed, double PerRow)? Line(double w, double x, double y, double xx, double xy)
    {
        var variance = (w * xx) - (x * x);
        if (w <= 0 || variance <= 1e-9 * w * w)
        {
            return null;
        }

        var slope = ((w * xy) - (x * y)) / variance;
        var intercept = (y - (slope * x)) / w;
        return (Math.Max(intercept, 0), Math.Max(slope, 1e-9));
    }

    public TimeSpan Predict(int rows)
    {
        lock (_lock)
        {
            return TimeSpan.FromSeconds(_fixedSeconds + (_perRowSeconds * Math.Max(rows, 0)));
        }
    }
}
