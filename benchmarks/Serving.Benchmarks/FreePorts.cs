using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Serving.Benchmarks;

/// <summary><c>free-ports N</c>: prints N free loopback TCP ports (bound to port 0 and released), one per line.</summary>
internal static class FreePorts
{
    public static Command Create()
    {
        var count = new Argument<int>("count")
        {
            Description = "How many ports",
            DefaultValueFactory = _ => 1,
        };
        var command = new Command("free-ports", "Print free 127.0.0.1 TCP ports, one per line (for the benchmark scripts' servers)");
        command.Arguments.Add(count);
        command.SetAction(parseResult => Run(parseResult.GetValue(count)));
        return command;
    }

    private static int Run(int count)
    {
        // All are held until every one is chosen, so the same port is never printed twice.
        var listeners = new List<TcpListener>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
                Console.WriteLine(((IPEndPoint)listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture));
            }
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }

        return 0;
    }
}
