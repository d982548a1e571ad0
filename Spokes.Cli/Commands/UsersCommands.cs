using System.Globalization;
using System.Collections.Immutable;
using Spokes.Tunnel.Security;
using Cocona;
using Spokes.Actors.Gateway;
using Spokes.Actors.Security;
using Spokes.Actors.Users;
using Spokes.Cli.Input;
using Spokes.Cli.Output;

namespace Spokes.Cli.Commands;

[HasSubCommands(typeof(TwoFactorCommands), "two-factor", Description = "Enable, disable or reset two-factor sign-in")]
public sealed class UsersCommands(AdminSession session)
{
    [Command("add", Description = "Create an administrator")]
    public Task<int> Add([Option("email")] string email, [Option("fullname")] string? fullname = null,
        [Option("enable2FA")] bool enable2FA = false, [Option("password-stdin")] bool passwordStdin = false, [Option("json")] bool json = false)
    {
        var hash = PasswordHasher.Hash(PasswordReader.Read(passwordStdin, "Password: "));
        return session.RunAsync<AdminDone>(new AddUserRequest(email, fullname ?? "", hash, enable2FA, UserOrigin.AdminCli), async done =>
        {
            if (json)
            {
                var listed = (await session.AskAsync<UsersReply>(new ListUsersRequest(false))).Users
                    .SingleOrDefault(u => string.Equals(u.Email, email.Trim(), StringComparison.OrdinalIgnoreCase))
                    ?? throw new CliException(ExitCodes.Failed, $"user {email} was created but is not listed yet; see users ls");
                AdminSession.PrintJson(listed);
                return;
            }
            if (enable2FA) Console.WriteLine("Info: Two-factor authentication (one-time-passcodes) will be setup on first-login.");
            Console.WriteLine(done.Message);
        });
    }

    [Command("ls", Description = "List administrators (--all: tunnel users too)")]
    public Task<int> List([Option("all")] bool all = false, [Option("json")] bool json = false) =>
        session.RunAsync<UsersReply>(new ListUsersRequest(all), reply =>
        {
            if (json)
            {
                AdminSession.PrintJson(reply.Users);
                return;
            }
            Console.WriteLine(AsciiTable.Render(["ID", "Email", "Fullname", "Origin", "2FA", "Created"],
                reply.Users.Select(u => (IReadOnlyList<string>)[u.Id, u.Email, u.Fullname, u.Origin, Formats.Bool(u.TwoFactor),
                    Formats.Minutes(u.Created)]),
                AsciiTable.Count(reply.Users.Count, "user", "users")));
        });

    [Command("passwd", Description = "Change a user's password")]
    public Task<int> Passwd([Option("email")] string? email = null, [Option("id")] string? id = null,
        [Option("password-stdin")] bool passwordStdin = false, [Option("json")] bool json = false)
    {
        var user = Selector.User(email, id);
        var hash = PasswordHasher.Hash(PasswordReader.Read(passwordStdin, $"New password for {user}: "));
        return session.RunAsync<AdminDone>(new ChangePasswordRequest(user, hash), done => AdminSession.PrintDone(json, done.Message));
    }

    [Command("disable", Description = "Disable an administrator: sign-in refused, every console session ended")]
    public Task<int> Disable([Option("email")] string? email = null, [Option("id")] string? id = null, [Option("json")] bool json = false) =>
        session.RunAsync<AdminDone>(new SetUserDisabledRequest(Selector.User(email, id), true), done => AdminSession.PrintDone(json, done.Message));

    [Command("enable", Description = "Enable a disabled administrator")]
    public Task<int> Enable([Option("email")] string? email = null, [Option("id")] string? id = null, [Option("json")] bool json = false) =>
        session.RunAsync<AdminDone>(new SetUserDisabledRequest(Selector.User(email, id), false), done => AdminSession.PrintDone(json, done.Message));

    [Command("role", Description = "Make an administrator an owner (manages administrators in the console) or an admin")]
    public Task<int> Role([Argument(Description = "owner or admin")] string role, [Option("email")] string? email = null,
        [Option("id")] string? id = null, [Option("json")] bool json = false)
    {
        var parsed = UserRoles.Parse(role) ?? throw CliException.BadArguments($"'{role}' is not a role: owner or admin");
        return session.RunAsync<AdminDone>(new SetUserRoleRequest(Selector.User(email, id), parsed), done => AdminSession.PrintDone(json, done.Message));
    }
}

public sealed class QuotaCommand(AdminSession session)
{
    [Command("quota", Description = "Show a user's quota and what its tunnels use; with values, set it (0 or an empty list: no limit)")]
    public Task<int> Quota([Option("email")] string? email = null, [Option("id")] string? id = null,
        [Option("monthly-bytes", Description = "bytes the user's tunnels may relay per UTC month; then new visitors are refused")] long? monthlyBytes = null,
        [Option("max-tunnels")] int? maxTunnels = null, [Option("max-ports")] int? maxPorts = null,
        [Option("domains", Description = "comma-separated: app.example.com,*.example.com (\"\": any)")] string? domains = null,
        [Option("json")] bool json = false)
    {
        var user = Selector.User(email, id);
        var patterns = domains?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToImmutableList();
        return session.RunAsync<UserQuotaReply>(new UserQuotaRequest(user, maxTunnels, maxPorts, patterns, monthlyBytes), q =>
        {
            if (json)
            {
                AdminSession.PrintJson(q);
                return;
            }
            Console.WriteLine(AsciiTable.Render(["Quota", "Limit", "In use"],
            [
                ["tunnels", q.MaxTunnels?.ToString(CultureInfo.InvariantCulture) ?? "no limit", q.Tunnels.ToString(CultureInfo.InvariantCulture)],
                ["TCP ports", q.MaxPorts?.ToString(CultureInfo.InvariantCulture) ?? "no limit", q.Ports.ToString(CultureInfo.InvariantCulture)],
                ["bytes this month", q.MonthlyBytes is { } cap ? Formats.Bytes(cap) : "no limit", Formats.Bytes(q.BytesThisMonth)],
                ["domains", q.Domains.Count > 0 ? string.Join(", ", q.Domains) : "any", q.DomainsInUse.Count > 0 ? string.Join(", ", q.DomainsInUse) : "-"],
            ], $"user {(q.Email.Length > 0 ? q.Email : q.Id)}"));
        });
    }
}

public sealed class TwoFactorCommands(AdminSession session)
{
    [Command("enable", Description = "Require two-factor sign-in; set up on next login")]
    public Task<int> Enable([Option("email")] string? email = null, [Option("id")] string? id = null, [Option("json")] bool json = false) =>
        Change(TwoFactorChange.Enable, email, id, json);

    [Command("disable", Description = "Remove the two-factor requirement")]
    public Task<int> Disable([Option("email")] string? email = null, [Option("id")] string? id = null, [Option("json")] bool json = false) =>
        Change(TwoFactorChange.Disable, email, id, json);

    [Command("reset", Description = "Forget the two-factor secret; set up again on next login")]
    public Task<int> Reset([Option("email")] string? email = null, [Option("id")] string? id = null, [Option("json")] bool json = false) =>
        Change(TwoFactorChange.Reset, email, id, json);

    private Task<int> Change(TwoFactorChange change, string? email, string? id, bool json) =>
        session.RunAsync<AdminDone>(new TwoFactorRequest(Selector.User(email, id), change), done => AdminSession.PrintDone(json, done.Message));
}

internal static class Selector
{
    public static UserSelector User(string? email, string? id)
    {
        if (string.IsNullOrWhiteSpace(email) == string.IsNullOrWhiteSpace(id))
            throw CliException.BadArguments("give exactly one of --email or --id");
        return new UserSelector(email, id);
    }

    public static (string? Id, bool All) IdOrAll(string? id, bool all)
    {
        if (string.IsNullOrWhiteSpace(id) == !all)
            throw CliException.BadArguments("give exactly one of --id or --all");
        return (id, all);
    }
}
