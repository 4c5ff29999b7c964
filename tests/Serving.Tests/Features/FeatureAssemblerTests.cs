using Serving.Contracts.Ranking.V1;
using Serving.Features;
using Serving.Features.Wire;
using RequestFeatures = Serving.Contracts.Ranking.V1.Features;

namespace Serving.Tests.Features;

public class FeatureAssemblerTests
{
    private readonly Serving.Models.ModelSpec _spec = TestModels.Tiny();

    [Fact]
    public void Candidate_columns_are_encoded_row_by_row()
    {
        var request = Request(3);
        request.Candidates.Dense.Add(Dense("d0", 0f, 1f, float.NaN));
        request.Candidates.Dense.Add(Dense("d1", 2f, float.NaN, -3f));
        request.Candidates.Sparse.Add(Values("s0", "a", "", "b"));
        request.Candidates.Sparse.Add(Ids("s1", 11, -1, 0));

        using var rows = FeatureAssembler.Assemble(_spec, request, 100);

        Assert.Equal(3, rows.Rows);
        Assert.Equal([0f, 2f, MathF.Log(2f), -1.5f, 0f, -3f], rows.Float32(0).ToArray(), new ToleranceComparer(1e-6f));
        Assert.Equal(
            [FeatureHasher.Bucket(FeatureHasher.Hash("a", 7), 1000), FeatureHasher.Bucket(11UL, 50),
             0, FeatureHasher.Bucket(ulong.MaxValue, 50),
             FeatureHasher.Bucket(FeatureHasher.Hash("b", 7), 1000), FeatureHasher.Bucket(0UL, 50)],
            rows.Int64(1).ToArray());
    }

    [Fact]
    public void A_value_and_its_prehashed_id_encode_identically()
    {
        var byValue = Request(1);
        byValue.Candidates.Sparse.Add(Values("s0", "68fd1e64"));
        var byId = Request(1);
        byId.Candidates.Sparse.Add(Ids("s0", unchecked((long)FeatureHasher.Hash("68fd1e64", 7))));

        using var a = FeatureAssembler.Assemble(_spec, byValue, 100);
        using var b = FeatureAssembler.Assemble(_spec, byId, 100);

        Assert.Equal(a.Int64(1).ToArray(), b.Int64(1).ToArray());
    }

    [Fact]
    public void Context_column_equals_repeating_its_value_for_every_candidate()
    {
        var withContext = Request(4);
        withContext.Context = new RequestFeatures();
        withContext.Context.Sparse.Add(Values("s1", "user-42"));
        withContext.Context.Dense.Add(Dense("d0", 5f));
        var repeated = Request(4);
        repeated.Candidates.Sparse.Add(Values("s1", "user-42", "user-42", "user-42", "user-42"));
        repeated.Candidates.Dense.Add(Dense("d0", 5f, 5f, 5f, 5f));

        using var a = FeatureAssembler.Assemble(_spec, withContext, 100);
        using var b = FeatureAssembler.Assemble(_spec, repeated, 100);

        Assert.Equal(b.Int64(1).ToArray(), a.Int64(1).ToArray());
        Assert.Equal(b.Float32(0).ToArray(), a.Float32(0).ToArray());
    }

    [Fact]
    public void Features_the_request_lacks_get_their_defaults()
    {
        using var rows = FeatureAssembler.Assemble(_spec, Request(2), 100);

        Assert.Equal([0f, -1.5f, 0f, -1.5f], rows.Float32(0).ToArray());
        Assert.Equal([0L, 3L, 0L, 3L], rows.Int64(1).ToArray());
    }

    public static TheoryData<string, string> BadRequests => new()
    {
        { "count0", "candidate_count: must be >= 1, got 0" },
        { "count-big", "candidate_count: must be <= 100, got 101" },
        { "unknown", "candidates.sparse[0].name: unknown feature 'nope' for model 'tiny'" },
        { "noname", "candidates.dense[0].name: is required" },
        { "wrong-kind", "candidates.dense[0] ('s0'): feature 's0' is sparse; send it as a sparse column" },
        { "short", "candidates.sparse[0] ('s0'): has 1 values; candidate_count is 2" },
        { "both", "candidates.sparse[0] ('s0'): set exactly one of 'values' (raw strings) or 'ids' (pre-hashed)" },
        { "neither", "candidates.sparse[0] ('s0'): set exactly one of 'values' (raw strings) or 'ids' (pre-hashed)" },
        { "context-many", "context.dense[0] ('d0').values: a context column carries exactly 1 value (applied to every candidate), got 2" },
        { "twice", "candidates.sparse[0] ('s1'): feature 's1' is sent more than once" },
        { "infinite", "candidates.dense[0] ('d1').values[1]: must be finite" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public void Bad_input_names_the_field(string kind, string expected)
    {
        var request = Request(2);
        switch (kind)
        {
            case "count0": request.CandidateCount = 0; break;
            case "count-big": request.CandidateCount = 101; break;
            case "unknown": request.Candidates.Sparse.Add(Values("nope", "a", "b")); break;
            case "noname": request.Candidates.Dense.Add(Dense("", 1, 2)); break;
            case "wrong-kind": request.Candidates.Dense.Add(Dense("s0", 1, 2)); break;
            case "short": request.Candidates.Sparse.Add(Values("s0", "a")); break;
            case "both":
                var both = Values("s0", "a", "b");
                both.Ids.Add([1, 2]);
                request.Candidates.Sparse.Add(both);
                break;
            case "neither": request.Candidates.Sparse.Add(new SparseColumn { Name = "s0" }); break;
            case "context-many":
                request.Context = new RequestFeatures();
                request.Context.Dense.Add(Dense("d0", 1, 2));
                break;
            case "twice":
                request.Context = new RequestFeatures();
                request.Context.Sparse.Add(Values("s1", "x"));
                request.Candidates.Sparse.Add(Values("s1", "a", "b"));
                break;
            case "infinite": request.Candidates.Dense.Add(Dense("d1", 1, float.PositiveInfinity)); break;
        }

        var ex = Assert.Throws<InvalidRequestException>(() => FeatureAssembler.Assemble(_spec, request, 100));

        Assert.StartsWith(expected, ex.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// The error message goes back in the gRPC status (a trailer): echoing a 64 KB name made the
    /// trailers larger than a client accepts (64 KB by default), and the client dropped the whole
    /// HTTP/2 connection with every call on it (found by the gRPC fuzzer). The name is cut short,
    /// never inside a surrogate pair, and its full length said.
    /// </summary>
    [Theory]
    [InlineData("ascii", 64)] // at most 64 characters echoed
    [InlineData("emoji", 63)] // "a" then pairs: the 64th char would be the first half of one
    public void An_unknown_feature_name_is_echoed_cut_short(string kind, int echoed)
    {
        var name = kind == "ascii" ? new string('x', 64 * 1024) : "a" + string.Concat(Enumerable.Repeat("😀", 1000));
        var request = Request(1);
        request.Candidates.Dense.Add(Dense(name, 1));

        var ex = Assert.Throws<InvalidRequestException>(() => FeatureAssembler.Assemble(_spec, request, 100));

        Assert.Equal($"unknown feature '{name[..echoed]}…' ({name.Length} characters) for model 'tiny'", ex.Problem);
    }

    [Fact]
    public void Columns_add_no_allocation_to_assembling_a_request()
    {
        // Without columns every feature takes its default; with them, each name is looked up and
        // each value hashed or transformed. Neither may allocate: no string per name or value,
        // and no field path built for an error that does not happen.
        var bare = Request(10);
        var full = Request(10);
        full.Candidates.Dense.Add(Dense("d0", Enumerable.Range(0, 10).Select(i => (float)i).ToArray()));
        full.Candidates.Dense.Add(Dense("d1", Enumerable.Range(0, 10).Select(i => (float)-i).ToArray()));
        full.Candidates.Sparse.Add(Values("s0", Enumerable.Range(0, 10).Select(i => $"v{i}").ToArray()));
        full.Candidates.Sparse.Add(Ids("s1", Enumerable.Range(0, 10).Select(i => (long)i).ToArray()));

        Assert.Equal(AllocatedByWarmAssembly(bare), AllocatedByWarmAssembly(full));
    }

    private long AllocatedByWarmAssembly(RankRequest request)
    {
        using var wire = WireRankRequest.From(request);
        FeatureAssembler.Assemble(_spec, wire, 100).Dispose();
        var before = GC.GetAllocatedBytesForCurrentThread();
        FeatureAssembler.Assemble(_spec, wire, 100).Dispose();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static RankRequest Request(int candidates) => new()
    {
        Model = "tiny",
        CandidateCount = candidates,
        Candidates = new RequestFeatures(),
    };

    private static DenseColumn Dense(string name, params float[] values)
    {
        var c = new DenseColumn { Name = name };
        c.Values.Add(values);
        return c;
    }

    private static SparseColumn Values(string name, params string[] values)
    {
        var c = new SparseColumn { Name = name };
        c.Values.Add(values);
        return c;
    }

    private static SparseColumn Ids(string name, params long[] ids)
    {
        var c = new SparseColumn { Name = name };
        c.Ids.Add(ids);
        return c;
    }

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => MathF.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
