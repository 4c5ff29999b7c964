namespace Serving.LoadTest.Transport;

/// <summary>Keeps load on this machine: a non-loopback target is refused unless explicitly allowed.</summary>
internal static class TargetGuard
{
    /// <summary>True for localhost, 127.0.0.0/8 and [::1]; decided from the text, no DNS lookup.</summary>
    public static bool IsLoopback(Uri target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return target.IsAbsoluteUri && target.IsLoopback;
    }

    public static void EnsureAllowed(Uri target, bool allowRemote)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (!target.IsAbsoluteUri || (target.Scheme != Uri.UriSchemeHttp && target.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"Target '{target}' must be an absolute http:// or https:// URL.");
        }

        if (!allowRemote && !IsLoopback(target))
        {
            throw new ArgumentException(
                $"Target '{target}' is not a loopback address; pass --allow-remote to send load to another host.");
        }
    }
}
