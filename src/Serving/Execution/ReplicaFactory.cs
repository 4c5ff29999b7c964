using Microsoft.ML.OnnxRuntime;
using Serving.Models;

namespace Serving.Execution;

/// <summary>Opens a model's sessions, checks each graph against the config, and warms it at every serving batch shape.</summary>
public sealed class ReplicaFactory(ModelSpec spec, string modelPath, int maxBatchRows, TimeProvider time)
{
    /// <summary>Creates <paramref name="count"/> warmed replicas labelled <paramref name="device"/>; the timed warm-up seeds <paramref name="cost"/>.</summary>
    public List<SessionReplica> Create(string device, int count, Func<InferenceSession> open, BatchCostModel cost)
    {
        var replicas = new List<SessionReplica>(count);
        try
        {
            for (var r = 0; r < count; r++)
            {
                var session = open();
                SessionReplica replica;
                try
                {
                    replica = new SessionReplica(session, spec, OnnxSignature.Verify(session, spec, modelPath), maxBatchRows, device);
                }
                catch
                {
                    session.Dispose();
                    throw;
                }

                replicas.Add(replica);
                WarmUp(replica, cost);
            }
        }
        catch
        {
            replicas.ForEach(r => r.Dispose());
            throw;
        }

        return replicas;
    }

    private void WarmUp(SessionReplica replica, BatchCostModel cost)
    {
        // Run every batch shape class the server will use, so the first real request pays no
        // first-run cost; two timed passes follow, and the faster of each size's two runs seeds the
        // cost model (and anchors it for good). The runs take a low-priority thread of their own
        // (the session and everything else were created at normal priority: threads inherit it), so
        // a version loaded while others serve warms up on CPU they leave idle; preemption only ever
        // adds time, so the smaller reading is the closer one.
        var sizes = new List<int>();
        for (var rows = 1; rows <= replica.MaxBatchRows; rows = rows < replica.MaxBatchRows ? Math.Min(rows * 4, replica.MaxBatchRows) : rows + 1)
        {
            sizes.Add(rows);
        }

        var fastest = new TimeSpan[sizes.Count];
        Array.Fill(fastest, TimeSpan.MaxValue);
        LowPriorityThread.Run(
            () =>
            {
                for (var pass = 0; pass < 3; pass++)
                {
                    for (var i = 0; i < sizes.Count; i++)
                    {
                        var started = time.GetTimestamp();
                        replica.Run(sizes[i]);
                        var elapsed = time.GetElapsedTime(started);
                        if (pass > 0 && elapsed < fastest[i])
                        {
                            fastest[i] = elapsed;
                        }
                    }
                }
            },
            $"warm-up-{replica.Device}");

        for (var i = 0; i < sizes.Count; i++)
        {
            cost.Seed(sizes[i], fastest[i]);
        }
    }
}
