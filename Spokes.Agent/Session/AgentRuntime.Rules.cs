using Spokes.Agent.Config;
using Spokes.Agent.Local;
using Spokes.Tunnel.Control;

namespace Spokes.Agent.Session;

/// <summary>Rule changes: from the local API (sent to the node first, saved once it agrees) and from the node.</summary>
internal sealed partial class AgentRuntime
{
    /// <summary>Answers one local API request.</summary>
    internal async Task<LocalResponse> HandleLocalAsync(LocalRequest request, CancellationToken cancellationToken)
    {
        if (request.Op == LocalOps.Status)
        {
            return new LocalResponse { Ok = true, Status = Status() };
        }

        if (request.Op is LocalOps.MapAdd or LocalOps.MapRemove)
        {
            return await ApplyMapAsync(request).ConfigureAwait(false);
        }

        ActiveSession? session = Current;
        ControlChannel? channel = session?.Control;
        if (request.Op == LocalOps.TcpAllocate)
        {
            if (channel is null)
            {
                return LocalResponse.Fail(LocalFailures.Unreachable, $"not connected to {_config.Server}; cannot lease a port now");
            }

            return await ForwardToNodeAsync(channel, new TcpAllocate(), request, cancellationToken).ConfigureAwait(false);
        }

        // Reject bad input before bothering the node.
        RuleChange check = RuleBook.Apply(_config, request, strict: channel is null);
        if (check.Failure != RuleFailure.None)
        {
            return LocalResponse.Fail(check.Failure == RuleFailure.NotFound ? LocalFailures.NotFound : LocalFailures.Invalid, check.Error!);
        }

        if (channel is not null && request.Op is LocalOps.HttpFirewall or LocalOps.TcpFirewall
            && !NodeFeatures.Has(session!.Welcome, NodeFeatures.Firewall))
        {
            return LocalResponse.Fail(LocalFailures.Refused,
                $"node {session.Welcome?.Node ?? _config.Server} does not enforce firewall lists (an older release); upgrade it first");
        }

        if (channel is null)
        {
            // Not connected: saved now, sent with syncRules on the next connection.
            return await ApplyAsync(request, strict: true).ConfigureAwait(false) is { } error
                ? LocalResponse.Fail(LocalFailures.Invalid, error)
                : LocalResponse.Success();
        }

        return ToNode(request, check.Config!) is { } toNode
            ? await ForwardToNodeAsync(channel, toNode, request, cancellationToken).ConfigureAwait(false)
            : LocalResponse.Fail(LocalFailures.Invalid, $"unknown op '{request.Op}'");
    }

    /// <summary>A rule request pushed by the node, applied like the CLI would; returns the error for the reply, or null.</summary>
    internal async Task<string?> ApplyPushedAsync(ControlRequest request)
    {
        LocalRequest? local = request switch
        {
            HttpAdd add => new LocalRequest { Op = LocalOps.HttpAdd, Rule = add.Rule },
            HttpRemove remove => new LocalRequest { Op = LocalOps.HttpRemove, Domain = remove.Domain },
            TcpAllocated allocated => new LocalRequest { Op = LocalOps.TcpAllocated, Port = allocated.Port },
            TcpForward forward => new LocalRequest
            {
                Op = LocalOps.TcpForward, Port = forward.Port, Destination = forward.Destination, DstPort = forward.DstPort,
            },
            TcpReset reset => new LocalRequest { Op = LocalOps.TcpReset, Port = reset.Port },
            TcpRelease release => new LocalRequest { Op = LocalOps.TcpRelease, Port = release.Port },
            TcpFirewall firewall => new LocalRequest { Op = LocalOps.TcpFirewallSet, Port = firewall.Port, Allow = firewall.Allow, Drop = firewall.Drop },
            _ => null,
        };
        if (local is null)
        {
            return $"the agent does not accept {request.GetType().Name} requests";
        }

        if (local is { Op: LocalOps.HttpAdd, Rule: { } pushed })
        {
            var (installed, uploadError) = InstallUploaded(pushed);
            if (uploadError is not null)
            {
                _log.Info($"refused the certificate uploaded for {pushed.Domain}: {uploadError}");
                return uploadError;
            }

            local = local with { Rule = WithLocalSecrets(installed) };
        }

        string? error = await ApplyAsync(local, strict: false).ConfigureAwait(false);
        _log.Info(error is null ? $"applied {Describe(local)} from the server" : $"refused {Describe(local)} from the server: {error}");
        return error;
    }

    /// <summary>A rule pushed by the node names only that a password is set (or that a certificate was uploaded
    /// before): the hash and the files are this agent's own.</summary>
    private HttpRule WithLocalSecrets(HttpRule pushed)
    {
        HttpRule? local = _config.Http.FirstOrDefault(r => RuleBook.SameDomain(r.Domain, pushed.Domain));
        bool uploaded = pushed.CertFile == RuleSupport.UploadedPlaceholder;
        return pushed with
        {
            Password = pushed.Password == RuleSupport.SecretPlaceholder ? local?.Password ?? pushed.Password : pushed.Password,
            BasicPass = pushed.BasicPass == RuleSupport.SecretPlaceholder ? local?.BasicPass ?? pushed.BasicPass : pushed.BasicPass,
            CertFile = uploaded ? local?.CertFile : pushed.CertFile,
            KeyFile = uploaded ? local?.KeyFile : pushed.KeyFile,
        };
    }

    /// <summary>A certificate uploaded from the console: checked, written next to the config (key mode 0600) and
    /// named by path; the PEM never reaches the config file.</summary>
    private (HttpRule Rule, string? Error) InstallUploaded(HttpRule pushed)
    {
        if (pushed is not { CertificatePem: { } chain, KeyPem: { } key })
        {
            return (pushed, null);
        }

        string dir = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(_store.Path))!, "certs");
        string name = pushed.Domain.ToLowerInvariant().Replace("*", "_wildcard", StringComparison.Ordinal);
        string certFile = Path.Combine(dir, name + ".uploaded.crt"), keyFile = Path.Combine(dir, name + ".uploaded.key");
        try
        {
            Directory.CreateDirectory(dir);
            string tempCert = certFile + ".new", tempKey = keyFile + ".new";
            OwnerOnlyFile.Write(tempKey, key);
            File.WriteAllText(tempCert, chain);
            if (Http.RuleCertificates.Check(tempCert, tempKey, pushed.Domain, DateTimeOffset.UtcNow, Http.RuleCertificates.Labels.Uploaded) is { } bad)
            {
                File.Delete(tempCert);
                File.Delete(tempKey);
                return (pushed, bad);
            }

            File.Move(tempKey, keyFile, overwrite: true);
            File.Move(tempCert, certFile, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (pushed, $"cannot store the uploaded certificate: {ex.Message}");
        }

        return (pushed with { CertificatePem = null, KeyPem = null, CertFile = certFile, KeyFile = keyFile }, null);
    }

    internal AgentStatus Status()
    {
        ActiveSession? session = Current;
        AgentConfig config = _config;
        return new AgentStatus
        {
            Server = config.Server,
            Running = true,
            Connected = session is not null,
            TunnelId = session?.Welcome?.TunnelId,
            Since = session?.Since,
            PoolSize = session?.PoolSize ?? 0,
            OpenStreams = session?.OpenStreams ?? 0,
            Nodes = session?.Nodes ?? [],
            HttpRules = config.Http.Count,
            TcpRules = config.Tcp.Count,
            Monitoring = Monitor.Enabled,
            Services = Monitor.States,
            Maps = config.Maps.Count,
            MapsListening = Maps?.Listening ?? 0,
            LastError = session is null ? _lastError : null,
        };
    }

    private async Task<LocalResponse> ForwardToNodeAsync(ControlChannel channel, ControlRequest toNode, LocalRequest request, CancellationToken cancellationToken)
    {
        OkReply ok;
        try
        {
            ok = await channel.RequestAsync(toNode, _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (ControlRequestException ex)
        {
            return LocalResponse.Fail(LocalFailures.Refused, ex.Message);
        }
        catch (Exception ex) when (ex is TimeoutException or IOException or Tunnel.Mux.MuxException or ObjectDisposedException)
        {
            return LocalResponse.Fail(LocalFailures.Unreachable, $"the node did not answer: {ex.Message}");
        }

        if (request.Op == LocalOps.TcpAllocate)
        {
            if (ok.Port is not { } port)
            {
                return LocalResponse.Fail(LocalFailures.Refused, "the node answered tcpAllocate without a port");
            }

            request = new LocalRequest { Op = LocalOps.TcpAllocated, Port = port };
        }

        string? error = await ApplyAsync(request, strict: false).ConfigureAwait(false);
        return error is null ? LocalResponse.Success(request.Port) : LocalResponse.Fail(LocalFailures.Invalid, error);
    }

    /// <summary>Applies and saves one change; changes are serialized so none is lost.</summary>
    /// <summary>A port map change: listening (or not) at once, saved once the new listener is bound.</summary>
    private async Task<LocalResponse> ApplyMapAsync(LocalRequest request)
    {
        await _ruleLock.WaitAsync().ConfigureAwait(false);
        try
        {
            var (config, failure, error) = MapBook.Apply(_config, request);
            if (config is null) return LocalResponse.Fail(failure!, error!);
            if (Maps is { } maps && maps.Apply(config.Maps) is [var (_, bindError), ..])
            {
                maps.Apply(_config.Maps);
                return LocalResponse.Fail(LocalFailures.Refused, bindError);
            }
            _store.Save(config);
            _config = config;
            _log.Info(request.Op == LocalOps.MapAdd ? $"map {MapBook.Canonical(request.Listen!)} → {request.To} listening" : $"map {MapBook.Canonical(request.Listen!)} removed");
            return LocalResponse.Success();
        }
        finally
        {
            _ruleLock.Release();
        }
    }

    private async Task<string?> ApplyAsync(LocalRequest request, bool strict)
    {
        await _ruleLock.WaitAsync().ConfigureAwait(false);
        try
        {
            RuleChange change = RuleBook.Apply(_config, request, strict);
            if (change.Config is null)
            {
                return change.Error;
            }

            _store.Save(change.Config);
            _config = change.Config;
            Monitor.Wake();
            return null;
        }
        finally
        {
            _ruleLock.Release();
        }
    }

    /// <param name="changed">The config as the request changes it: what the node gets is the rule as it will be saved
    /// (an edited rule keeps its firewall lists; a firewall op sends the rule's or port's whole lists).</param>
    private static ControlRequest? ToNode(LocalRequest request, AgentConfig changed) => request.Op switch
    {
        LocalOps.HttpAdd or LocalOps.HttpFirewall when (request.Rule?.Domain ?? request.Domain) is { } domain
            && changed.Http.FirstOrDefault(r => RuleBook.SameDomain(r.Domain, domain)) is { } rule => new HttpAdd { Rule = RuleSupport.ForNode(rule) },
        LocalOps.TcpFirewall when request.Port is { } port && changed.Tcp.FirstOrDefault(r => r.Port == port) is { } tcp =>
            new TcpFirewall { Port = port, Allow = tcp.Allow ?? [], Drop = tcp.Drop ?? [] },
        LocalOps.HttpRemove when request.Domain is { } domain => new HttpRemove { Domain = domain },
        LocalOps.TcpForward when request is { Port: { } port, Destination: { } destination, DstPort: { } dstPort } =>
            new TcpForward { Port = port, Destination = destination, DstPort = dstPort },
        LocalOps.TcpReset when request.Port is { } port => new TcpReset { Port = port },
        LocalOps.TcpRelease when request.Port is { } port => new TcpRelease { Port = port },
        _ => null,
    };

    private static string Describe(LocalRequest request) => request.Op switch
    {
        LocalOps.HttpAdd => $"http rule {request.Rule?.Domain}",
        LocalOps.HttpRemove => $"removal of http rule {request.Domain}",
        LocalOps.TcpFirewallSet => $"firewall lists of port {request.Port}",
        _ => $"{request.Op} port {request.Port}",
    };
}
