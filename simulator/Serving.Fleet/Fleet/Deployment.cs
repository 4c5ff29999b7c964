namespace Serving.Fleet.Fleet;

/// <summary>
/// The pods of one Deployment: each is starting until its ready time (image pull, model load,
/// warm-up, drawn per pod), then takes its share of the load. Scaling down removes starting pods
/// first, then the newest ready ones.
/// </summary>
internal sealed class Deployment(double startupMinSeconds, double startupMaxSeconds, Random startup)
{
    private readonly List<double> _readyAt = [];

    public int CurrentPods => _readyAt.Count;

    /// <summary>Times the replica count changed (not counting the initial fleet).</summary>
    public int ScaleEvents { get; private set; }

    public int ReadyPods(double nowSeconds)
    {
        var ready = 0;
        foreach (var at in _readyAt)
        {
            ready += at <= nowSeconds ? 1 : 0;
        }

        return ready;
    }

    /// <summary>Starts pods ready at once (the initial fleet, or a hindsight bound).</summary>
    public void ScaleTo(int pods, double nowSeconds, bool instant)
    {
        if (pods == _readyAt.Count)
        {
            return;
        }

        ScaleEvents += _readyAt.Count > 0 ? 1 : 0;
        while (_readyAt.Count < pods)
        {
            var delay = instant ? 0 : startupMinSeconds + (startup.NextDouble() * (startupMaxSeconds - startupMinSeconds));
            _readyAt.Add(nowSeconds + delay);
        }

        if (_readyAt.Count > pods)
        {
            _readyAt.Sort();
            _readyAt.RemoveRange(pods, _readyAt.Count - pods);
        }
    }
}
