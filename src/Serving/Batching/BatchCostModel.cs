namespace Serving.Batching;

/// <summary>
/// Predicted compute time of a batch by its rows on one device: a line (fixed cost per batch plus
/// cost per row) fitted by exponentially weighted least squares over measured batches, anchored by
/// the warm-up runs. Thread-safe.
/// </summary>
/// <remarks>
/// The warm-up's timed runs (<see cref="Seed"/>) span every batch size class up to the largest and
/// stay in the fit for good, together worth <see cref="SeedWeight"/> batches. Live batches
/// outweigh them where they fall, but under steady load they fall in a narrow range of sizes, and a
/// line through a narrow, noisy cloud can have any slope: extrapolated to the largest batch it once
/// predicted 49 ms where 1,024 rows took about 4, and the controller cut the batch size to 83 rows.
/// The seeded points, far from the cloud, hold the slope.
/// </remarks>
public sealed class BatchCostModel
{
    /// <summary>What all the warm-up runs together weigh in the fit, in batches.</summary>
    public const double SeedWeight = 3;

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

    /// <summary>A timed warm-up run: stays in the fit for good (all of them together worth <see cref="SeedWeight"/> batches).</summary>
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
            Fit();
        }
    }

    private void Fit()
    {
        var k = _sw > 0 ? SeedWeight / _sw : 0;
        var w = _w + (k * _sw);
        var x = _x + (k * _sx);
        var y = _y + (k * _sy);
        var xx = _xx + (k * _sxx);
        var xy = _xy + (k * _sxy);
        var variance = (w * xx) - (x * x);
        if (variance > 1e-9 * w * w)
        {
            var slope = ((w * xy) - (x * y)) / variance;
            var intercept = (y - (slope * x)) / w;
            _perRowSeconds = Math.Max(slope, 1e-9);
            _fixedSeconds = Math.Max(intercept, 0);
        }
        else
        {
            // One batch size so far: attribute the cost to rows, keeping the fixed part.
            _perRowSeconds = Math.Max(((y / w) - _fixedSeconds) / Math.Max(x / w, 1), 1e-9);
        }
    }

    public TimeSpan Predict(int rows)
    {
        lock (_lock)
        {
            return TimeSpan.FromSeconds(_fixedSeconds + (_perRowSeconds * Math.Max(rows, 0)));
        }
    }
}
