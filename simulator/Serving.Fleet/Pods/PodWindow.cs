namespace Serving.Fleet.Pods;

/// <summary>One measured window of one simulated pod: per model what happened, and how busy its cores and GPUs were.</summary>
internal sealed record PodWindow(double Seconds, IReadOnlyList<LaneCounters> Lanes, double CoreBusySeconds, double GpuBusySeconds, int Cores)
{
    /// <summary>Share of the pod's cores in use over the window.</summary>
    public double CpuUtilization => Seconds > 0 && Cores > 0 ? CoreBusySeconds / (Seconds * Cores) : 0;
}
