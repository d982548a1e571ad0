namespace Spokes.Admin.Components.Shared;

/// <summary>The texts behind the short error codes the account endpoints put in the query string.</summary>
public static class AccountMessages
{
    public static string? For(string? error, int? wait = null) => error switch
    {
        null or "" => null,
        "credentials" => "Wrong email or password.",
        "throttled" => wait is > 0 ? $"Too many failed attempts. Try again in {wait} s." : "Too many failed attempts. Try again later.",
        "busy" => "The server is busy checking other sign-ins. Try again in a moment.",
        "expired" => "The sign-in took too long. Start again.",
        "code" => "The code is wrong.",
        "used" => "This code was already used. Wait for the next one.",
        "disabled" => "This account is disabled. Ask an owner of this server to enable it.",
        _ => "Sign-in failed.",
    };
}
