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
        // first-run cost; the timed second pass seeds the cost model (and anchors it for good).
        for (var pass = 0; pass < 2; pass++)
        {
            for (var rows = 1; rows <= replica.MaxBatchRows; rows = rows < replica.MaxBatchRows ? Math.Min(rows * 4, replica.MaxBatchRows) : rows + 1)
            {
                var started = time.GetTimestamp();
                replica.Run(rows);
                if (pass == 1)
                {
                    cost.Seed(rows, time.GetElapsedTime(started));
                }
            }
        }
    }
}
