using Akka.Actor;
using Akka.Hosting;
using Spokes.Actors.Configuration;
using Spokes.Actors.Entities;
using Spokes.Actors.Settings;

namespace Spokes.Actors.Gateway;

public sealed partial class AdminOperations
{
    /// <summary>The server's domain in force on this node.</summary>
    public DomainSource ServerDomain { get; init; } = new("localhost");

    /// <summary>config.json's domain (the one in force until a change at run time).</summary>
    public string ConfiguredDomain { get; init; } = "localhost";

    /// <summary>What a new domain is checked against before the change (DNS, ports); null on hosts without it.</summary>
    public IDomainCheck? DomainChecks { get; init; }

    /// <summary>Why the certificate in force could not serve another domain (a fixed, uploaded one), or null.</summary>
    public ITlsCertificateCheck? Certificates { get; init; }

    private async Task<IWireMessage> DomainSettingsAsync(DomainSettingsRequest r, string by)
    {
        if (r.Name is null) return new DomainSettingsReply(ServerDomain.Current, "");
        var name = r.Name.Trim().ToLowerInvariant();
        if (ConfigLoader.DomainProblem(name) is { } bad) return new Refusal(ErrorCode.Invalid, bad);
        if (name == ServerDomain.Current) return new DomainSettingsReply(name, $"the domain is already {name}");
        if (Certificates?.ServesOnly(name) is { } fixedCertificate) return new Refusal(ErrorCode.Invalid, fixedCertificate);
        // One step like any other: the request's deadline bounds it with the check and the settings entity's change.
        var claim = await AskForAsync<Domains.DomainReply>(regions.Domains, new Domains.GetDomain(name));
        if (claim.Domain.TunnelId is { } owner)
            return new Refusal(ErrorCode.Conflict, $"{name} is claimed by an HTTP rule of tunnel {owner}; remove that rule first");
        string check;
        if (r.Force)
        {
            check = "not checked (--force)";
        }
        else if (DomainChecks is null)
        {
            return new Refusal(ErrorCode.Unavailable, "this node cannot check a domain; --force applies it unchecked");
        }
        else
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(RequestCancel);
            var wait = StepWait();
            limit.CancelAfter(wait);
            string? problem;
            try
            {
                problem = await DomainChecks.ProblemAsync(name, limit.Token);
            }
            catch (OperationCanceledException)
            {
                return new Refusal(ErrorCode.Unavailable, $"the check of {name} (DNS and this node's ports) did not finish within {wait.TotalSeconds:0} s; try again, or --force");
            }
            if (problem is not null)
                return new Refusal(ErrorCode.Conflict, $"{problem}; --force applies the domain anyway");
            check = $"{name} resolves to this node and its HTTP and HTTPS ports answer";
        }
        var reply = await AskAsync(ActorRegistry.For(system).Get<SettingsEntity>(), new ChangeDomain(SettingsIds.Server, name, ConfiguredDomain, by));
        return reply is Refusal ? reply : new DomainSettingsReply(name, check);
    }
}
