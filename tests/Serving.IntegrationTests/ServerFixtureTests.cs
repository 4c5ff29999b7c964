using System.Net;
using System.Net.Sockets;

namespace Serving.IntegrationTests;

public class ServerFixtureTests
{
    [Fact]
    public async Task A_port_taken_between_its_choice_and_the_bind_is_chosen_again()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var takenPort = ((IPEndPoint)taken.LocalEndpoint).Port;
        var attempts = 0;
        var server = new ServerFixture
        {
            ChoosePorts = () =>
            {
                var ports = ServerFixture.FreePorts();
                return ++attempts == 1 ? ports with { Grpc = takenPort } : ports;
            },
        };
        await server.InitializeAsync();
        try
        {
            Assert.Equal(2, attempts);
            Assert.NotEqual(takenPort, server.GrpcPort);
            var ready = await server.Http.GetAsync("/readyz");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
