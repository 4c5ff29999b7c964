using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Serving.IntegrationTests.Reliability;

/// <summary>
/// HTTP/1.1 written by hand over a socket: the request target goes out byte for byte as given
/// (HttpClient and Uri would normalize odd paths, unescape or reject them), one request per
/// connection. Answers the status code and the body (de-chunked).
/// </summary>
internal static class RawHttp
{
    public static async Task<(int Status, string Body)> SendAsync(int port, string method, string target, string? json = null, long? declaredLength = null)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        var body = json is null ? [] : Encoding.UTF8.GetBytes(json);
        var head = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"{method} {target} HTTP/1.1\r\n")
            .Append(CultureInfo.InvariantCulture, $"Host: 127.0.0.1:{port}\r\n")
            .Append("Connection: close\r\n");
        if (json is not null || declaredLength is not null)
        {
            head.Append("Content-Type: application/json\r\n")
                .Append(CultureInfo.InvariantCulture, $"Content-Length: {declaredLength ?? body.Length}\r\n");
        }

        head.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
        await stream.WriteAsync(body);
        await stream.FlushAsync();

        using var response = new MemoryStream();
        try
        {
            await stream.CopyToAsync(response).WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (IOException) when (response.Length > 0)
        {
            // The server answered and reset the connection (it did not read a body it refused).
        }

        return Parse(response.ToArray());
    }

    private static (int Status, string Body) Parse(byte[] raw)
    {
        var headerEnd = raw.AsSpan().IndexOf("\r\n\r\n"u8);
        if (headerEnd < 0)
        {
            throw new InvalidDataException($"no complete HTTP response: '{Encoding.ASCII.GetString(raw, 0, Math.Min(raw.Length, 200))}'");
        }

        var head = Encoding.ASCII.GetString(raw, 0, headerEnd);
        var status = int.Parse(head.Split(' ', 3)[1], CultureInfo.InvariantCulture);
        var body = raw.AsSpan(headerEnd + 4);
        return (status, head.Contains("transfer-encoding: chunked", StringComparison.OrdinalIgnoreCase)
            ? Encoding.UTF8.GetString(Dechunk(body))
            : Encoding.UTF8.GetString(body));
    }

    private static byte[] Dechunk(ReadOnlySpan<byte> chunked)
    {
        using var result = new MemoryStream();
        while (!chunked.IsEmpty)
        {
            var lineEnd = chunked.IndexOf("\r\n"u8);
            var sizeText = Encoding.ASCII.GetString(chunked[..lineEnd]).Split(';')[0];
            var size = int.Parse(sizeText, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                break;
            }

            result.Write(chunked.Slice(lineEnd + 2, size));
            chunked = chunked[(lineEnd + 2 + size + 2)..];
        }

        return result.ToArray();
    }
}
