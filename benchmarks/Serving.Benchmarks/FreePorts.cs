using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Serving.Benchmarks;

/// <summary>Prints free loopback TCP ports (bound to port 0 and released), one per line.</summary>
public static class FreePorts
{
    public static int Run(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1;
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
