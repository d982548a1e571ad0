using Cocona;
using Spokes.Actors.Gateway;
using Spokes.Actors.Security;
using Spokes.Cli.Output;

namespace Spokes.Cli.Commands;

public sealed class RegistrationCommands(AdminSession session)
{
    [Command("create", Description = "Create a registration token (it can only mint auth tokens)")]
    public Task<int> Create([Option("description")] string? description = null,
        [Option("uses", Description = "how many agents it may register (default: no limit)")] int? uses = null,
        [Option("expires", Description = "until when it registers agents: a date/time, or 30m, 12h, 7d from now")] string? expires = null,
        [Option("json")] bool json = false) =>
        session.RunAsync<AdminSecretCreated>(new CreateRegistrationRequest(description ?? "", UsesArgument(uses), Formats.ParseUntil(expires, DateTimeOffset.Now)),
            async created =>
        {
            if (json)
            {
                await session.PrintCreatedAsync<RegistrationsReply, RegistrationDto>(new ListRegistrationsRequest(), r => r.Registrations, created,
                    r => r.Id, (r, value) => r with { Value = value }, "registration token", "registration ls");
                return;
            }
            Console.WriteLine("Registration token:");
            Console.WriteLine(created.Value);
        });

    [Command("ls", Description = "List registration tokens (values truncated, --json too)")]
    public Task<int> List([Option("json")] bool json = false) =>
        session.RunAsync<RegistrationsReply>(new ListRegistrationsRequest(), reply =>
        {
            if (json)
            {
                AdminSession.PrintJson(reply.Registrations.Select(r => r with { Value = SecretValues.Truncate(r.Value, 14) }));
                return;
            }
            Console.WriteLine(AsciiTable.Render(["ID", "Created", "Description", "Value", "Uses", "Expires", "Active"],
                reply.Registrations.Select(r => (IReadOnlyList<string>)[r.Id, Formats.Seconds(r.Created), r.Description,
                    SecretValues.Truncate(r.Value, 14), r.MaxUses is { } limit ? $"{r.Uses}/{limit}" : $"{r.Uses}",
                    r.Expires is { } until ? Formats.Minutes(until) : "never", Formats.Bool(r.Active)]),
                AsciiTable.Count(reply.Registrations.Count, "registration token", "registration tokens")));
        });

    private static int? UsesArgument(int? uses) => uses is null or (>= 1 and <= AdminOperations.MaxRegistrationUses) ? uses
        : throw CliException.BadArguments($"--uses: {uses} is not between 1 and {AdminOperations.MaxRegistrationUses}");

    [Command("rm", Description = "Deactivate a registration token (--id) or all of them (--all)")]
    public Task<int> Remove([Option("id")] string? id = null, [Option("all")] bool all = false, [Option("json")] bool json = false)
    {
        var (target, everything) = Selector.IdOrAll(id, all);
        return session.RunAsync<AdminCount>(new RemoveRegistrationRequest(target, everything), count =>
            AdminSession.PrintCount(json, count.Count, AsciiTable.Count(count.Count, "registration token", "registration tokens") + " deactivated"));
    }
}

public sealed class TokenCommands(AdminSession session)
{
    [Command("create", Description = "Create an auth token (and its tunnel) for an agent")]
    public Task<int> Create([Option("hostname")] string? hostname = null, [Option("json")] bool json = false) =>
        session.RunAsync<AdminSecretCreated>(new CreateTokenRequest(hostname ?? ""), async created =>
        {
            if (json)
            {
                await session.PrintCreatedAsync<TokensReply, TokenDto>(new ListTokensRequest(), r => r.Tokens, created,
                    t => t.Id, (t, value) => t with { Value = value }, "auth token", "token ls");
                return;
            }
            Console.WriteLine("Client auth-token:");
            Console.WriteLine(created.Value);
        });

    [Command("ls", Description = "List auth tokens (values truncated, --json too, unless --expand)")]
    public Task<int> List([Option("expand")] bool expand = false, [Option("json")] bool json = false) =>
        session.RunAsync<TokensReply>(new ListTokensRequest(), reply =>
        {
            if (json)
            {
                AdminSession.PrintJson(expand ? reply.Tokens : reply.Tokens.Select(t => t with { Value = SecretValues.Truncate(t.Value) }));
                return;
            }
            Console.WriteLine(AsciiTable.Render(["ID", "Created", "User", "Tunnel", "Value", "Active"],
                reply.Tokens.Select(t => (IReadOnlyList<string>)[t.Id, Formats.Minutes(t.Created), t.User,
                    t.Hostname.Length > 0 ? t.Hostname : t.Tunnel, expand ? t.Value : SecretValues.Truncate(t.Value),
                    Formats.Bool(t.Active)]),
                AsciiTable.Count(reply.Tokens.Count, "token", "tokens")));
        });

    [Command("rm", Description = "Revoke an auth token (--id) or all (--all); its tunnel shuts down")]
    public Task<int> Remove([Option("id")] string? id = null, [Option("all")] bool all = false, [Option("json")] bool json = false)
    {
        var (target, everything) = Selector.IdOrAll(id, all);
        return session.RunAsync<AdminCount>(new RemoveTokenRequest(target, everything), count =>
            AdminSession.PrintCount(json, count.Count, AsciiTable.Count(count.Count, "auth token", "auth tokens") + " deactivated, tunnels shut down"));
    }
}

public sealed class ApiKeyCommands(AdminSession session)
{
    [Command("create", Description = "Create an API key for /api/v1 and /metrics (shown once)")]
    public Task<int> Create([Option("scope", Description = "read (may only read) or admin")] string? scope = null,
        [Option("description")] string? description = null, [Option("json")] bool json = false)
    {
        if (scope is null) throw CliException.BadArguments("--scope read|admin is required");
        return session.RunAsync<AdminSecretCreated>(new CreateApiKeyRequest(scope, description ?? ""), async created =>
        {
            if (json)
            {
                await session.PrintCreatedAsync<ApiKeysReply, ApiKeyDto>(new ListApiKeysRequest(), r => r.Keys, created,
                    k => k.Id, (k, value) => k with { Value = value }, "API key", "apikey ls");
                return;
            }
            Console.WriteLine("API key:");
            Console.WriteLine(created.Value);
        });
    }

    [Command("ls", Description = "List API keys (never their values)")]
    public Task<int> List([Option("json")] bool json = false) =>
        session.RunAsync<ApiKeysReply>(new ListApiKeysRequest(), reply =>
        {
            if (json)
            {
                AdminSession.PrintJson(reply.Keys);
                return;
            }
            Console.WriteLine(AsciiTable.Render(["ID", "Created", "Scope", "Description", "Created by", "Active"],
                reply.Keys.Select(k => (IReadOnlyList<string>)[k.Id, Formats.Minutes(k.Created), k.Scope, k.Description, k.CreatedBy,
                    Formats.Bool(k.Active)]),
                AsciiTable.Count(reply.Keys.Count, "API key", "API keys")));
        });

    [Command("rm", Description = "Revoke an API key (--id): refused at once on every node")]
    public Task<int> Remove([Option("id")] string? id = null, [Option("json")] bool json = false)
    {
        if (string.IsNullOrWhiteSpace(id)) throw CliException.BadArguments("--id is required");
        return session.RunAsync<AdminCount>(new RemoveApiKeyRequest(id), count => AdminSession.PrintCount(json, count.Count, $"API key {id.Trim()} revoked"));
    }
}
