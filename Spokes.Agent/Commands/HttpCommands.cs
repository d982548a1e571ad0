using System.Text.Json;
using Cocona;
using Spokes.Agent.Config;
using Spokes.Agent.Local;
using Spokes.Tunnel.Control;
using Spokes.Tunnel.Security;

namespace Spokes.Agent.Commands;

/// <summary>http add / rm / ls: HTTP and TLS rules by domain.</summary>
internal sealed class HttpCommands(ConfigStore store, RuleGateway rules)
{
    [Command("add", Description = "Route a domain to a local service (takes effect at once on a running agent)")]
    public async Task<int> Add(
        [Option("domain")] string domain,
        [Option("destination", Description = "local host of the service")] string destination,
        [Option("http", Description = "port for plain HTTP visitors")] int? http = null,
        [Option("tls", Description = "port for TLS visitors (passed through)")] int? tls = null,
        [Option("webroot")] string? webroot = null,
        [Option("redirect", Description = "redirect HTTP to HTTPS")] bool redirect = false,
        [Option("host-header")] string? hostHeader = null,
        [Option("password", Description = "visitors sign in with this password first ('-' reads it from stdin)")] string? password = null,
        [Option("basic-user")] string? basicUser = null,
        [Option("basic-pass", Description = "HTTP basic auth password ('-' reads it from stdin)")] string? basicPass = null,
        [Option("letsencrypt")] bool letsEncrypt = false,
        [Option("cert", Description = "certificate PEM file")] string? cert = null,
        [Option("key", Description = "private key PEM file of --cert")] string? key = null)
    {
        if (password == "-" && basicPass == "-")
        {
            throw CliException.BadArguments("only one of --password and --basic-pass can be read from stdin");
        }

        password = password == "-" ? ReadSecret() : password;
        basicPass = basicPass == "-" ? ReadSecret() : basicPass;
        foreach (var (secret, option) in new[] { (password, "--password"), (basicPass, "--basic-pass") })
        {
            if (secret is not null && PasswordHasher.Weakness(secret) is { } weak)
            {
                throw CliException.BadArguments($"{option}: {weak}");
            }
        }

        var rule = new HttpRule
        {
            Domain = domain.Trim().ToLowerInvariant(),
            Destination = destination,
            HttpPort = http,
            TlsPort = tls,
            Webroot = webroot is null ? null : Path.GetFullPath(webroot),
            Redirect = redirect,
            HostHeader = hostHeader,
            // Hashed here, where it was typed: the running agent, its config and the node never see it.
            Password = password is null ? null : PasswordHasher.Hash(password),
            BasicUser = basicUser,
            BasicPass = basicPass is null ? null : PasswordHasher.Hash(basicPass),
            LetsEncrypt = letsEncrypt,
            CertFile = cert is null ? null : Path.GetFullPath(cert),
            KeyFile = key is null ? null : Path.GetFullPath(key),
        };
        if (RuleValidation.Http(rule) is { } bad)
        {
            throw CliException.BadArguments(bad);
        }

        var response = await rules.SendAsync(new LocalRequest { Op = LocalOps.HttpAdd, Rule = rule }, CancellationToken.None);
        return Outcomes.Report(response, $"http rule for {rule.Domain} added");
    }

    [Command("rm", Description = "Remove the rule of a domain")]
    public async Task<int> Remove([Option("domain")] string domain)
    {
        if (RuleValidation.Domain(domain) is { } bad)
        {
            throw CliException.BadArguments(bad);
        }

        var response = await rules.SendAsync(new LocalRequest { Op = LocalOps.HttpRemove, Domain = domain.Trim().ToLowerInvariant() }, CancellationToken.None);
        return Outcomes.Report(response, $"http rule for {domain} removed");
    }

    [Command("ls", Description = "List http rules")]
    public int List([Option("json")] bool json = false)
    {
        IReadOnlyList<HttpRule> http = store.Load().Http;
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize([.. http.Select(RuleSupport.ForNode)], AgentJsonContext.Default.IReadOnlyListHttpRule));
            return ExitCodes.Ok;
        }

        Console.WriteLine(TextTable.Render(["DOMAIN", "DESTINATION", "HTTP", "TLS", "OPTIONS"],
            http.Select(r => (IReadOnlyList<string>)[r.Domain, r.Destination, r.HttpPort?.ToString() ?? "-", r.TlsPort?.ToString() ?? "-", Options(r)])));
        Console.WriteLine($"{http.Count} http rule(s)");
        return ExitCodes.Ok;
    }

    private static string ReadSecret()
    {
        string? line = Console.In.ReadLine();
        return string.IsNullOrEmpty(line) ? throw CliException.BadArguments("no password on stdin") : line.TrimEnd('\r');
    }

    private static string Options(HttpRule rule)
    {
        List<string> options = [];
        if (rule.Redirect) options.Add("redirect");
        if (rule.LetsEncrypt) options.Add("letsencrypt");
        if (rule.CertFile is not null) options.Add("cert");
        if (rule.Webroot is not null) options.Add("webroot");
        if (rule.HostHeader is not null) options.Add($"host={rule.HostHeader}");
        if (rule.Password is not null) options.Add("password");
        if (rule.BasicUser is not null) options.Add("basic-auth");
        if (rule.Allow is { Count: > 0 } allow) options.Add("allow " + string.Join(" ", allow));
        if (rule.Drop is { Count: > 0 } drop) options.Add("drop " + string.Join(" ", drop));
        return options.Count == 0 ? "-" : string.Join(",", options);
    }
}
