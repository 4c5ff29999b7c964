namespace Serving.Admission;

/// <summary>The gate's answer for one call: admitted (with its start), or refused with a reason and a message a person can act on.</summary>
public readonly record struct AdmissionTicket(long StartedTimestamp, string? RefusalReason, string? Message)
{
    public bool IsAdmitted => RefusalReason is null;

    public static AdmissionTicket Refused(string reason, string message) => new(0, reason, message);
}
