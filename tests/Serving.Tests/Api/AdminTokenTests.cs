using Grpc.Core;
using Serving.Api;

namespace Serving.Tests.Api;

public class AdminTokenTests
{
    [Theory]
    [InlineData("Bearer s3cret")]
    [InlineData("bearer s3cret")]
    [InlineData("Bearer  s3cret ")]
    public void The_configured_token_is_accepted(string header)
    {
        new AdminToken("s3cret").Demand(Call(header));
    }

    [Theory]
    [InlineData(null, "needs 'Bearer <admin token>'")]
    [InlineData("Basic czNjcmV0", "needs 'Bearer <admin token>'")]
    [InlineData("Bearer s3cre", "is not the admin token")]
    [InlineData("Bearer s3cret2", "is not the admin token")]
    public void Anything_else_is_unauthenticated(string? header, string message)
    {
        var ex = Assert.Throws<RpcException>(() => new AdminToken("s3cret").Demand(Call(header)));

        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        Assert.Contains(message, ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void With_no_token_configured_even_an_empty_bearer_is_refused()
    {
        var ex = Assert.Throws<RpcException>(() => new AdminToken("").Demand(Call("Bearer ")));

        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        Assert.Contains("Serving:Admin:Token", ex.Status.Detail, StringComparison.Ordinal);
    }

    private static TestCallContext Call(string? authorization)
    {
        var headers = new Metadata();
        if (authorization is not null)
        {
            headers.Add("authorization", authorization);
        }

        return new TestCallContext(headers);
    }
}
