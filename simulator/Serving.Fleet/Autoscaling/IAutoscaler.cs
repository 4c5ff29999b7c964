namespace Serving.Fleet.Autoscaling;

/// <summary>Decides a deployment's pod count; called once per simulated second.</summary>
internal interface IAutoscaler
{
    string Name { get; }

    /// <summary>The pods the deployment should have from now on (the current count when nothing changes).</summary>
    int Decide(FleetObservation observation);

    /// <summary>True for the hindsight bounds: their pods are ready at once (no start-up delay).</summary>
    bool Hindsight => false;

    /// <summary>The allocator settings of the pods (<c>Serving:Allocator</c>); the defaults unless the autoscaler is a tuned variant.</summary>
    Serving.Allocation.AllocatorOptions PodAllocatorOptions() => new();
}
