using System.Text;
using Spokes.Tests.DataPlane.Testbed;
using Xunit.Abstractions;

namespace Spokes.Tests.DataPlane;

/// <summary>
/// Edge-terminated HTTPS: a rule that forwards plain HTTP only, for a name the server's certificate covers (the
/// bed's self-signed certificate covers <c>*.localhost</c>), is served over HTTPS by the edge.
/// </summary>
[Collection(DataPlaneCollection.Name)]
public sealed class EdgeTlsTests(TrafficFixture bed, ITestOutputHelper output)
{
    private const string Covered = "shop.localhost";

    [Fact]
    public Task PlainHttpRule_NameUnderTheServersWildcard_EdgeTerminatesTls_KeepAliveWorks_AMismatchedHostGets421() =>
        bed.Bed.ScenarioAsync(output, async () =>
        {
            var sara = await bed.Bed.AddAgentAsync("sara", "sara");
            (await sara.RunAsync("http", "add", "--domain", Covered, "--destination", "127.0.0.1", "--http", bed.HttpBackend.Port.ToString()))
                .ExpectExit(0);
            await sara.StartAsync();

            var (tls, certificate) = await bed.Visitor.TlsAsync(Covered);
            await using (tls)
            {
                Assert.Contains("localhost", certificate.Subject);
                for (var i = 0; i < 2; i++)
                {
                    await tls.WriteAsync(Encoding.ASCII.GetBytes($"GET /hello HTTP/1.1\r\nHost: {Covered}\r\n\r\n"));
                    Assert.Contains("hello from backend", await ReadAnswerAsync(tls));
                }
            }

            var (other, _) = await bed.Visitor.TlsAsync(Covered);
            await using (other)
            {
                await other.WriteAsync(Encoding.ASCII.GetBytes("GET /hello HTTP/1.1\r\nHost: other.localhost\r\nConnection: close\r\n\r\n"));
                Assert.StartsWith("HTTP/1.1 421 ", await ReadAnswerAsync(other));
            }
        });

    /// <summary>Reads one HTTP answer with a Content-Length body (what the backend and the edge send).</summary>
    private static async Task<string> ReadAnswerAsync(Stream stream)
    {
        using var cts = new CancellationTokenSource(Visitor.Patience);
        var text = new StringBuilder();
        var buffer = new byte[4096];
        while (true)
        {
            var read = await stream.ReadAsync(buffer, cts.Token);
            if (read == 0) return text.ToString();
            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
            var s = text.ToString();
            var end = s.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end < 0) continue;
            if (s.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
            {
                if (s.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal)) return s;
                continue;
            }
            var length = s.Split("\r\n").FirstOrDefault(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) is { } header
                ? int.Parse(header["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture)
                : 0;
            if (s.Length >= end + 4 + length) return s;
        }
    }
}
