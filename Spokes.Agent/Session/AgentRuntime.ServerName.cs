using System.Net;
using System.Security.Cryptography.X509Certificates;
using Spokes.Agent.Config;
using Spokes.Tunnel.Control;

namespace Spokes.Agent.Session;

/// <summary>The server moved to another name or certificate (<see cref="ServerName"/>): the agent saves it and dials it
/// from the next connection on (docs/agent.md, "When the server's domain changes").</summary>
internal sealed partial class AgentRuntime
{
    /// <summary>The trust file the agent writes itself when the node sends a certificate to trust (beside the config).</summary>
    internal const string TrustFileName = "server-trust.pem";

    /// <summary>At most this many certificates are kept in the trust file (the newest; expired ones are dropped).</summary>
    internal const int MaxTrusted = 16;

    private ServerName? _toldName;

    /// <summary>Records what the node said and applies the latest in the background (under the rule lock).</summary>
    internal void FollowServerName(ServerName name)
    {
        Volatile.Write(ref _toldName, name);
        _ = ApplyServerNameAsync();
    }

    private async Task ApplyServerNameAsync()
    {
        await _ruleLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (Interlocked.Exchange(ref _toldName, null) is not { } told) return;
            var config = _config;
            if (Uri.CheckHostName(told.Hostname) != UriHostNameType.Dns || told.Hostname.Length > 253)
            {
                _log.Info("ignored a server name that is not a DNS name");
                return;
            }

            // An agent configured with an address literal sends no SNI and checks that address: it keeps it.
            var hostname = config.Hostname is { } h && IPAddress.TryParse(h, out _) ? h : told.Hostname.ToLowerInvariant();
            var (ca, trusted) = config.Ca is { } file && told.CertificatePem is { } pem ? Trust(file, pem) : (config.Ca, false);
            if (hostname == config.Hostname && !trusted) return;
            var next = config with { Hostname = hostname, Ca = ca };
            _store.Save(next);
            _config = next;
            _dialer?.Follow(next);
            _log.Info(hostname != config.Hostname
                ? $"the server is now {next.Server} (was {config.Server}); saved in {_store.Path}"
                : $"the server's new certificate is trusted from now on ({ca})");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException
            or System.Security.Cryptography.CryptographicException)
        {
            _log.Info($"could not follow the server's new name: {ex.Message}");
        }
        finally
        {
            _ruleLock.Release();
        }
    }

    /// <summary>The trust file holding what <paramref name="caFile"/> trusts plus <paramref name="pem"/> (the agent's own
    /// file beside the config, written only when <paramref name="pem"/> is new: Added), or <paramref name="caFile"/>.</summary>
    private (string Path, bool Added) Trust(string caFile, string pem)
    {
        if (pem.Length > ServerName.MaxPemLength) return (caFile, false);
        using var offered = X509Certificate2.CreateFromPem(pem);
        var trusted = new X509Certificate2Collection();
        trusted.ImportFromPemFile(caFile);
        if (trusted.Any(c => c.Thumbprint == offered.Thumbprint)) return (caFile, false);
        var now = _time.GetUtcNow().UtcDateTime;
        var kept = trusted.Where(c => c.NotAfter.ToUniversalTime() > now).Append(offered)
            .TakeLast(MaxTrusted).Select(c => c.ExportCertificatePem());
        var path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(_store.Path))!, TrustFileName);
        OwnerOnlyFile.Write(path, string.Join("\n", kept) + "\n");
        return (path, true);
    }
}
