using Serving.Features.Wire;

namespace Serving.Tests.Features;

/// <summary>
/// The wire requests' buffers: legitimate sizes are reused; a maximum-size call's buffer (16 MiB)
/// is allocated for that call and not kept, so a burst of such calls leaves nothing resident.
/// </summary>
public sealed class RequestBuffersTests
{
    [Fact]
    public void A_buffer_up_to_the_pooled_size_is_reused()
    {
        var buffer = RequestBuffers.Rent(RequestBuffers.MaxPooledBytes);
        RequestBuffers.Return(buffer);

        var again = RequestBuffers.Rent(RequestBuffers.MaxPooledBytes - 100);
        RequestBuffers.Return(again);

        Assert.Same(buffer, again);
    }

    [Fact]
    public void A_buffer_over_the_pooled_size_is_exactly_as_long_as_asked_and_never_handed_out_again()
    {
        const int bytes = (16 * 1024 * 1024) - 1024;
        var buffer = RequestBuffers.Rent(bytes);
        Assert.Equal(bytes, buffer.Length); // allocated for the call, not a power-of-two pool bucket
        RequestBuffers.Return(buffer);

        var next = RequestBuffers.Rent(bytes);
        Assert.NotSame(buffer, next);
        Assert.Equal(bytes, next.Length);
    }

    [Fact]
    public void An_empty_request_still_gets_a_buffer()
    {
        Assert.NotEmpty(RequestBuffers.Rent(0));
    }
}
