using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Spokes.Tests.Cluster.Testbed;
using Xunit.Abstractions;

namespace Spokes.Tests.Cluster;

/// <summary>The console behind a balancer without sticky sessions: the sign-in form fetched from one node is
/// posted to another, the session cookie it sets opens pages on the third (one key ring, kept in the store), signing
/// out on one node ends that session on the others (the user's other session lives on), and failed sign-ins count
/// the same on every node.</summary>
[Collection(ClusterCollection.Name)]
public sealed partial class ClusterConsoleTests(ClusterFixture cluster, ITestOutputHelper output)
{
    private const string Email = "ops@cluster.example.com";
    private const string Password = "correct horse battery staple";
    private ClusterTestbed Bed => cluster.Bed;

    [Fact]
    public Task SignInOnOneNode_SessionGoodOnTheOthers_FailuresCountedClusterWide() => Bed.ScenarioAsync(output, async () =>
    {
        await cluster.HealAsync();
        var added = await Bed.CliWithStdinAsync(Password, "users", "add", "--email", Email, "--password-stdin");
        Assert.True(added.Exit is 0 or 1, added.ToString()); // 1: already there from an earlier run of this test
        var cookies = new CookieContainer();

        // The form (and its antiforgery cookie) from n1, posted to n2.
        using var n1 = Client(Bed.Nodes[0], cookies);
        var form = await n1.GetStringAsync("/account/login");
        var token = AntiforgeryToken().Match(form).Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(token), "no antiforgery token in the sign-in form: " + form);
        using var n2 = Client(Bed.Nodes[1], cookies);
        using var signIn = await n2.PostAsync("/account/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = Email, ["password"] = Password, ["returnUrl"] = "/tokens", ["__RequestVerificationToken"] = token,
        }));
        Assert.True(signIn.StatusCode == HttpStatusCode.Redirect, $"{signIn.StatusCode}: {await signIn.Content.ReadAsStringAsync()}");
        Assert.Equal("/tokens", signIn.Headers.Location?.OriginalString);

        // The session, on n3.
        using var n3 = Client(Bed.Nodes[2], cookies);
        using var anonymous = Client(Bed.Nodes[2], new CookieContainer());
        Assert.Equal(HttpStatusCode.Redirect, (await anonymous.GetAsync("/account/whoami")).StatusCode);
        using var whoami = await n3.GetAsync("/account/whoami");
        Assert.Equal(HttpStatusCode.OK, whoami.StatusCode);
        Assert.Equal(Email, await whoami.Content.ReadAsStringAsync());

        // Signing out on n1 ends that session on every node: a copy of its cookie is refused on n3 (within the
        // validators' 5 s cache), while a second session of the same user, opened on n2, stays good on n3.
        var other = new CookieContainer();
        using (var o2 = Client(Bed.Nodes[1], other))
        {
            var otherToken = AntiforgeryToken().Match(await o2.GetStringAsync("/account/login")).Groups[1].Value;
            using var second = await o2.PostAsync("/account/signin", Form(Email, Password, otherToken));
            Assert.Equal(HttpStatusCode.Redirect, second.StatusCode);
        }
        var copy = new CookieContainer();
        foreach (Cookie c in cookies.GetAllCookies()) copy.Add(c);
        // The sign-in page is plain HTML: fetched with the session cookie, its form token belongs to the signed-in user.
        var signOutToken = AntiforgeryToken().Match(await n1.GetStringAsync("/account/login")).Groups[1].Value;
        using (var signOut = await n1.PostAsync("/account/signout",
                   new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = signOutToken })))
            Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        using var stolen = Client(Bed.Nodes[2], copy);
        using var still = Client(Bed.Nodes[2], other);
        await Spokes.Tests.DataPlane.Testbed.Expect.Within(TimeSpan.FromSeconds(20)).That("the signed-out cookie refused on n3",
            async () => (await stolen.GetAsync("/account/whoami")).StatusCode == HttpStatusCode.Redirect);
        Assert.Equal(HttpStatusCode.OK, (await still.GetAsync("/account/whoami")).StatusCode);

        // Wrong passwords on n1 and n2 (a visitor without a session): the next try from this address, even with the
        // right password, waits — on n3 as well.
        var strangers = new CookieContainer();
        using var s1 = Client(Bed.Nodes[0], strangers);
        using var s2 = Client(Bed.Nodes[1], strangers);
        using var s3 = Client(Bed.Nodes[2], strangers);
        var strangerToken = AntiforgeryToken().Match(await s1.GetStringAsync("/account/login")).Groups[1].Value;
        foreach (var client in new[] { s1, s2, s1 })
        {
            using var wrong = await client.PostAsync("/account/signin", Form(Email, "wrong", strangerToken));
            Assert.Contains("error=credentials", wrong.Headers.Location?.OriginalString ?? wrong.StatusCode.ToString());
        }
        using var delayed = await s3.PostAsync("/account/signin", Form(Email, Password, strangerToken));
        Assert.Contains("error=throttled", delayed.Headers.Location?.OriginalString ?? delayed.StatusCode.ToString());
    });

    private static FormUrlEncodedContent Form(string email, string password, string token) => new(new Dictionary<string, string>
    {
        ["email"] = email, ["password"] = password, ["__RequestVerificationToken"] = token,
    });

    /// <summary>An HTTPS client for <c>https://localhost</c> that always reaches <paramref name="node"/>.</summary>
    private HttpClient Client(ClusterNode node, CookieContainer cookies) => new(new SocketsHttpHandler
    {
        CookieContainer = cookies,
        AllowAutoRedirect = false,
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        ConnectCallback = async (_, ct) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(IPAddress.Parse(node.Host), Bed.HttpsPort, ct);
            return new NetworkStream(socket, ownsSocket: true);
        },
    }) { BaseAddress = new Uri($"https://{ClusterTestbed.Domain}:{Bed.HttpsPort}"), Timeout = TimeSpan.FromSeconds(30) };

    [GeneratedRegex("<input[^>]*name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();
}
