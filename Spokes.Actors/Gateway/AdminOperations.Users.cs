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
            new CreateUser(UserIds.For(email), email, r.FullName.Trim(), r.Origin, r.PasswordHash, r.TwoFactor, by));
        return reply is Refusal ? reply : new AdminDone("User created!");
    }

    private static bool LooksLikeEmail(string email)
    {
        var at = email.IndexOf('@');
        return at > 0 && at < email.Length - 1 && !email.Any(char.IsWhiteSpace) && email.Length <= 254;
    }

    private async Task<IWireMessage> ListUsersAsync(ListUsersRequest r)
    {
        var list = await AskForAsync<UserList>(regions.Catalog, new ListUsers());
        return new UsersReply(list.Users
            .Where(u => r.All || u.IsAdmin)
            .Select(u => new UserDto(u.Id, u.Email, u.FullName, u.Origin, u.Created, u.TwoFactor))
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

    private static Refusal UserRefusal(Refusal refusal, UserSelector user) =>
        refusal.Code == ErrorCode.NotFound ? new Refusal(ErrorCode.NotFound, $"user {user} not found") : refusal;
}
