namespace Serving.Allocation;

/// <summary>When a knob last moved, and the setting at which p99 last went over the target.</summary>
internal sealed class KnobMemory
{
    public DateTimeOffset? LastChange { get; set; }
    public DateTimeOffset? LastDecrease { get; set; }
    public LoadBoundLimit Ceiling { get; } = new();
}
