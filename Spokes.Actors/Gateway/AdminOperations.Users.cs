using Spokes.Tunnel.Security;
using System.Collections.Immutable;
using Spokes.Actors.Catalog;
using Spokes.Actors.Entities;
using Spokes.Actors.Security;
using Spokes.Actors.Users;

namespace Spokes.Actors.Gateway;

public sealed partial class AdminOperations
{
    private async Task<IWireMessage> AddUserAsync(AddUserRequest r, string by)
    {
        var email = r.Email.Trim();
        if (!LooksLikeEmail(email)) return new Refusal(ErrorCode.Invalid, $"'{r.Email}' is not an email address");
        if (!PasswordHasher.LooksHashed(r.PasswordHash)) return new Refusal(ErrorCode.Invalid, "password hash is malformed");
        var reply = await AskAsync(regions.Users,
            new CreateUser(UserIds.For(email), email, r.FullName.Trim(), r.Origin, r.PasswordHash, r.TwoFactor, by, r.Role));
        return reply is Refusal ? reply : new AdminDone("User created!");
    }

    public static bool LooksLikeEmail(string email)
    {
        var at = email.IndexOf('@');
        return at > 0 && at < email.Length - 1 && !email.Any(char.IsWhiteSpace) && email.Length <= 254;
    }

    private async Task<IWireMessage> ListUsersAsync(ListUsersRequest r)
    {
        return new UsersReply((await CatalogUsersAsync())
            .Where(u => r.All || u.IsAdmin)
            .Select(UserDto.Of)
            .ToImmutableList());
    }

    private async Task<IWireMessage> ChangePasswordAsync(ChangePasswordRequest r, string by)
    {
        if (!PasswordHasher.LooksHashed(r.PasswordHash)) return new Refusal(ErrorCode.Invalid, "password hash is malformed");
        var reply = await AskAsync(regions.Users, new ChangePassword(r.User.EntityId, r.PasswordHash, by));
        return reply is Refusal refusal ? UserRefusal(refusal, r.User) : new AdminDone("Password updated");
    }

    private async Task<IWireMessage> TwoFactorAsync(TwoFactorRequest r, string by)
    {
        var reply = await AskAsync(regions.Users, new SetTwoFactor(r.User.EntityId, r.Change, by));
        if (reply is Refusal refusal) return UserRefusal(refusal, r.User);
        return new AdminDone(r.Change switch
        {
            TwoFactorChange.Enable => "Two-factor enabled, setup will be completed on next login",
            TwoFactorChange.Reset => "Two-factor reset, setup will be completed on next login",
            _ => "Two-factor disabled for user",
        });
    }

    private async Task<IWireMessage> SetUserDisabledAsync(SetUserDisabledRequest r, string by)
    {
        var reply = await AskAsync(regions.Users, new SetUserDisabled(r.User.EntityId, r.Disabled, by));
        if (reply is Refusal refusal) return UserRefusal(refusal, r.User);
        var email = (reply as UserReply)?.User.Email ?? r.User.ToString();
        return new AdminDone(r.Disabled ? $"{email} is disabled: sign-in refused, sessions ended" : $"{email} is enabled");
    }

    private async Task<IWireMessage> SetUserRoleAsync(SetUserRoleRequest r, string by)
    {
        if (r.Role != UserRole.Owner)
        {
            // The last owner stays one, so that someone can always manage the administrators from the console (the CLI
            // can in any case). Two owners demoting each other at the same moment can both pass this check; the CLI
            // (its admins are owners) is the way back.
            var owners = (await CatalogUsersAsync())
                .Where(u => u is { IsOwner: true, Disabled: false }).Select(u => u.Id).ToList();
            if (owners.Count == 1 && owners[0] == r.User.EntityId)
                return new Refusal(ErrorCode.Conflict, "this is the last owner: make another administrator an owner first");
        }
        var reply = await AskAsync(regions.Users, new SetUserRole(r.User.EntityId, r.Role, by));
        if (reply is Refusal refusal) return UserRefusal(refusal, r.User);
        return new AdminDone($"{(reply as UserReply)?.User.Email ?? r.User.ToString()} is now {(r.Role == UserRole.Owner ? "an owner" : "an admin")}");
    }

    private static Refusal UserRefusal(Refusal refusal, UserSelector user) =>
        refusal.Code == ErrorCode.NotFound ? new Refusal(ErrorCode.NotFound, $"user {user} not found") : refusal;
}
