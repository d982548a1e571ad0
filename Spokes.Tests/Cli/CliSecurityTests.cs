using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Text;
using Spokes.Actors.Security;
using Spokes.Tests.Cli.Testbed;
using Xunit.Abstractions;

namespace Spokes.Tests.Cli;

/// <summary>Only holders of the cluster certificate talk to a node; secrets stay out of logs and the store.</summary>
[Collection(CliCollection.Name)]
public sealed class CliSecurityTests(SharedNode shared, ITestOutputHelper output) : IDisposable
{
    private readonly SpokesNode _node = shared.Node;
    private readonly TestFolder _folder = new();
    private readonly NodeLogTail _tail = new(output, shared.Node);

    public void Dispose()
    {
        _tail.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task Cli_OtherClusterCertificate_Exit3()
    {
        ClusterCertificate.LoadOrCreate(_folder["other"], null);
        var config = new NodeConfig(_folder["other"], _node.ClusterPort).WriteTo(_folder["config.json"]);
        var run = (await CliRunner.RunAsync(config, null, "token", "ls")).Expect(3);
        Assert.Contains("certificate", run.Stderr);
        Assert.DoesNotContain("Client", run.Stdout);
    }

    [Fact]
    public async Task ClusterPort_ClientWithForeignOrNoCertificate_Rejected()
    {
        using var foreign = ClusterCertificate.LoadOrCreate(_folder["other"], null);
        await AssertRejectedAsync(foreign);
        await AssertRejectedAsync(null);
        (await _node.CliAsync("cluster", "status")).Expect(0);
    }

    /// <summary>Trusts whatever the node presents and offers <paramref name="certificate"/>: the node must
    /// end the connection (a failed handshake, or a close right after it) instead of talking.</summary>
    private async Task AssertRejectedAsync(System.Security.Cryptography.X509Certificates.X509Certificate2? certificate)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", _node.ClusterPort, timeout.Token);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "spokes-cluster",
                ClientCertificates = certificate is null ? null : [certificate],
            }, timeout.Token);
            await tls.WriteAsync(RandomNumberGenerator.GetBytes(256), timeout.Token);
            var read = await tls.ReadAsync(new byte[1024], timeout.Token);
            Assert.Equal(0, read);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or SocketException)
        {
            // rejected during or right after the handshake
        }
    }

    [Fact]
    public async Task ClusterPort_GarbageBytes_NodeStillAnswers()
    {
        for (var i = 0; i < 5; i++)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync("127.0.0.1", _node.ClusterPort);
            var stream = tcp.GetStream();
            try
            {
                await stream.WriteAsync(i % 2 == 0
                    ? RandomNumberGenerator.GetBytes(64 * 1024)
                    : Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n" + new string('A', 10_000)));
            }
            catch (IOException)
            {
                // the node may reset us mid-write: that is the point
            }
        }
        Assert.True(_node.IsRunning);
        (await _node.CliAsync("cluster", "status", "--json")).JsonArray();
        (await _node.CliAsync("users", "ls")).Expect(0);
    }

    [Fact]
    public void DataPath_ClusterCertificateAndStore_OwnerOnly()
    {
        if (OperatingSystem.IsWindows()) return;
        var data = _node.Config.DataPath;
        const UnixFileMode ownerRw = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(ownerRw, File.GetUnixFileMode(Path.Combine(data, ClusterCertificate.FileName)));
        Assert.Equal(ownerRw, File.GetUnixFileMode(Path.Combine(data, "spokes.db")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(data));
    }

    [Fact]
    public async Task Session_SecretsNeverInNodeLogNorStore()
    {
        const string password = "Very-Secret-Passw0rd";
        var email = $"sec{Guid.NewGuid():N}"[..10] + "@example.com";
        (await _node.CliWithStdinAsync(password, "users", "add", "--email", email, "--password-stdin")).Expect(0);
        (await _node.CliWithStdinAsync(password + "2", "users", "passwd", "--email", email, "--password-stdin")).Expect(0);
        var token = (await _node.CliAsync("token", "create", "--hostname", "secret.example.com")).SecretAfter("Client auth-token:");
        var registration = (await _node.CliAsync("registration", "create")).SecretAfter("Registration token:");
        Assert.Contains(token, (await _node.CliAsync("token", "ls", "--expand")).Stdout);
        Assert.DoesNotContain(registration, (await _node.CliAsync("registration", "ls", "--json")).Stdout);
        Assert.DoesNotContain(token, (await _node.CliAsync("token", "ls", "--json")).Stdout);
        var audit = (await _node.CliAsync("audit", "ls", "--json")).Expect(0).Stdout;

        var secrets = CliRunner.Secrets.Where(s => s.Length >= 8).Distinct().ToList();
        Assert.Contains(token, secrets);
        var log = _node.Log;
        var store = Directory.GetFiles(_node.Config.DataPath, "spokes.db*").Select(ReadShared).ToList();
        Assert.NotEmpty(store);
        foreach (var secret in secrets)
        {
            Assert.False(log.Contains(secret, StringComparison.Ordinal), $"node log contains a secret ({secret[..4]}...)");
            Assert.False(audit.Contains(secret, StringComparison.Ordinal), $"audit trail contains a secret ({secret[..4]}...)");
            var bytes = Encoding.UTF8.GetBytes(secret);
            Assert.All(store, file => Assert.True(file.AsSpan().IndexOf(bytes) < 0, $"store holds a secret in plain text ({secret[..4]}...)"));
        }
    }

    private static byte[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
