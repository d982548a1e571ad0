using System.Collections.Immutable;
using Spokes.Actors.Catalog;
using Spokes.Actors.Entities;
using Spokes.Actors.Tokens;
using Spokes.Actors.Tunnels;
using Spokes.Actors.Users;

namespace Spokes.Actors.Gateway;

/// <summary>A user's state as its entity holds it (the console's sign-in reads the password hash and TOTP state from it,
/// on the node that received the password). Console only: the CLI's gateway refuses it (<see cref="AdminOperations.ConsoleOnly"/>).</summary>
public sealed record GetUserRequest(string UserId) : IAdminRequest;

/// <summary>Whether an administrator exists (the console's first run).</summary>
public sealed record AdminExistsRequest : IAdminRequest;

public sealed record AdminExistsReply(bool Exists) : IWireMessage;

public enum AccountChange { AcceptTotpStep, CompleteEnrolment, Password, FullName, EndSessions, TwoFactor }

/// <summary>A change the console makes to a signed-in administrator's own account. <paramref name="Text"/> is the sealed
/// TOTP secret (CompleteEnrolment), the new password hash (Password) or the full name (FullName); <paramref name="Step"/>
/// the TOTP time step. Answered with <see cref="UserReply"/>. Console only.</summary>
public sealed record AccountChangeRequest(string UserId, AccountChange Change, string Text = "", long Step = 0,
    TwoFactorChange TwoFactor = TwoFactorChange.Enable) : IAdminRequest;

/// <summary>A registration token's description and/or whether it may register agents. Answered with <see cref="RegistrationReply"/>.</summary>
public sealed record EditRegistrationRequest(string Id, string? Description, bool? Active) : IAdminRequest;

/// <summary>One tunnel as its details page and <c>GET /api/v1/tunnels/{id}</c> show it.</summary>
public sealed record TunnelDetailsRequest(string Id) : IAdminRequest;

public sealed record PortLeaseDto(int Port, string Destination) : IWireMessage;

public sealed record TunnelDetailsReply(TunnelDto Tunnel, string TokenId, long BytesTotal, ImmutableList<HttpRuleInfo> Rules,
    ImmutableList<PortLeaseDto> Ports) : IWireMessage;

/// <summary>The requests behind the console's own pages (accounts, registration edits, tunnel details): the console's
/// services ask these, never a shard region, so every change goes through the same checks, errors and audit author.</summary>
public sealed partial class AdminOperations
{
    public const int MaxDescription = 200;

    /// <summary>Requests only the console (in the node's process) may make: they carry or return a user's secrets.</summary>
    public static bool ConsoleOnly(IAdminRequest request) => request is GetUserRequest or AccountChangeRequest;

    private async Task<IWireMessage> GetUserAsync(GetUserRequest r) =>
        await AskAsync(regions.Users, new GetUser(r.UserId)) is UserReply { User.Exists: true } found
            ? found
            : new Refusal(ErrorCode.NotFound, "user not found");

    private async Task<IWireMessage> AdminExistsAsync() =>
        new AdminExistsReply((await CatalogUsersAsync()).Any(u => u.IsAdmin));

    private async Task<IWireMessage> AccountChangeAsync(AccountChangeRequest r, string by) =>
        await AskAsync(regions.Users, r.Change switch
        {
            AccountChange.AcceptTotpStep => new AcceptTotpStep(r.UserId, r.Step, by),
            AccountChange.CompleteEnrolment => new CompleteTwoFactorEnrolment(r.UserId, r.Text, r.Step, by),
            AccountChange.Password => new ChangePassword(r.UserId, r.Text, by),
            AccountChange.FullName => new ChangeFullName(r.UserId, r.Text, by),
            AccountChange.EndSessions => new EndSessions(r.UserId, by),
            AccountChange.TwoFactor => new SetTwoFactor(r.UserId, r.TwoFactor, by),
            _ => (IUserMessage)new GetUser(r.UserId),
        });

    private async Task<IWireMessage> EditRegistrationAsync(EditRegistrationRequest r, string by)
    {
        var description = r.Description?.Trim();
        if (description is { Length: > MaxDescription })
            return new Refusal(ErrorCode.Invalid, $"the description is longer than {MaxDescription} characters");
        IWireMessage? reply = null;
        if (description is not null) reply = await AskAsync(regions.Registrations, new SetRegistrationDescription(r.Id, description, by));
        if (reply is not Refusal && r.Active is { } active) reply = await AskAsync(regions.Registrations, new SetRegistrationActive(r.Id, active, by));
        return reply ?? new Refusal(ErrorCode.Invalid, "nothing to change");
    }

    private async Task<IWireMessage> TunnelDetailsAsync(TunnelDetailsRequest r)
    {
        var id = r.Id.Trim().ToLowerInvariant();
        if (id.Length is 0 or > 64) return new Refusal(ErrorCode.NotFound, "tunnel not found");
        if (await AskAsync(regions.Tunnels, new GetTunnel(id)) is not TunnelReply { Tunnel: { Exists: true } tunnel })
            return new Refusal(ErrorCode.NotFound, "tunnel not found");
        var leases = (await CatalogLeasesAsync());
        var ports = tunnel.Ports.Select(p => leases.FirstOrDefault(l => l.Port == p && l.TunnelId == tunnel.Id) is { DestinationHost: not null } l
            ? new PortLeaseDto(p, $"{l.DestinationHost}:{l.DestinationPort}")
            : new PortLeaseDto(p, "")).ToImmutableList();
        var traffic = await TrafficOfAsync(tunnel);
        var dto = ToDto(tunnel, presence.Online.GetValueOrDefault(tunnel.Id), Now, traffic)
            with { AutoHostname = tunnel.IsActive ? AutoNames?.For(tunnel.Id) : null };
        return new TunnelDetailsReply(dto, tunnel.TokenId, traffic.Total, tunnel.HttpRules, ports);
    }
}
