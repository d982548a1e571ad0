using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Spokes.Tests.DataPlane.Testbed;
using Spokes.Tests.Support;
using Xunit.Abstractions;

namespace Spokes.Tests.DataPlane;

/// <summary>The HTTP rule options the agent enforces itself, end to end (a real node, a real agent process, the real
/// backend): basic auth and the password page decided on every request, webroot confinement, the Host header, and
/// HTTPS with the rule's own certificate.</summary>
[Collection(DataPlaneCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class RuleOptionsTests(TrafficFixture bed, ITestOutputHelper output)
{
    private const string Secret = "correct horse battery";

    private async Task<TestAgent> AgentAsync(string name)
    {
        var agent = await bed.Bed.AddAgentAsync(name, name);
        await agent.StartAsync();
        return agent;
    }

    private static string Basic(string user, string password) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    [Fact]
    public Task BasicAuth_401UntilTheRightCredentials_DecidedOnEveryRequestOfOneKeepAliveConnection_HashOnlyOnTheAgent() => bed.Bed.ScenarioAsync(output, async () =>
    {
        const string domain = "basic.example.com";
        var agent = await AgentAsync("bea");
        (await agent.RunWithStdinAsync(Secret, "http", "add", "--domain", domain, "--destination", "127.0.0.1",
            "--http", bed.HttpBackend.Port.ToString(), "--basic-user", "ann", "--basic-pass", "-")).ExpectExit(0);
        using var http = bed.Visitor.Http(domain, maxConnections: 1);

        async Task<HttpResponseMessage> GetAsync(string? authorization)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "hello");
            if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
            return await http.SendAsync(request);
        }

        var anonymous = await GetAsync(null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal($"Basic realm=\"{domain}\", charset=\"UTF-8\"", anonymous.Headers.WwwAuthenticate.ToString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(Basic("ann", "wrong password"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(Basic("bob", Secret))).StatusCode);
        var admitted = await GetAsync(Basic("ann", Secret));
        Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
        Assert.StartsWith("hello from backend", await admitted.Content.ReadAsStringAsync());
        // The same keep-alive connection: the next request without credentials is refused again.
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(Basic("ann", Secret))).StatusCode);

        using var ws = await bed.Visitor.WebSocketAsync(domain, "/ws", Basic("ann", Secret));
        using var cts = new CancellationTokenSource(Visitor.Patience);
        await ws.SendAsync(Encoding.UTF8.GetBytes("through basic auth"), WebSocketMessageType.Text, true, cts.Token);
        var buffer = new byte[256];
        var received = await ws.ReceiveAsync(buffer, cts.Token);
        Assert.Equal("through basic auth", Encoding.UTF8.GetString(buffer, 0, received.Count));
        await Assert.ThrowsAnyAsync<WebSocketException>(() => bed.Visitor.WebSocketAsync(domain, "/ws"));

        Assert.DoesNotContain(Secret, File.ReadAllText(agent.ConfigPath));
        var listing = (await agent.RunAsync("http", "ls", "--json")).ExpectExit(0).Output;
        Assert.DoesNotContain("pbkdf2", listing);
        Assert.Contains("basic-auth", (await agent.RunAsync("http", "ls")).ExpectExit(0).Output);
        Assert.DoesNotContain(Secret, bed.Bed.Log.Since(0));
        var rules = Assert.IsType<Spokes.Actors.Gateway.TunnelRulesReply>(await bed.Bed.AdminAsync(new Spokes.Actors.Gateway.TunnelRulesRequest(agent.TunnelId, null)));
        Assert.True(Assert.Single(rules.Http, r => r.Domain == domain).BasicAuth);
    });

    [Fact]
    public Task Password_LoginPageThenSignedCookie_WrongOrForgedRefused_FailuresThrottled() => bed.Bed.ScenarioAsync(output, async () =>
    {
        const string domain = "login.example.com";
        var agent = await AgentAsync("pam");
        (await agent.RunWithStdinAsync(Secret, "http", "add", "--domain", domain, "--destination", "127.0.0.1",
            "--http", bed.HttpBackend.Port.ToString(), "--password", "-")).ExpectExit(0);
        using var http = bed.Visitor.Http(domain, maxConnections: 1);

        var page = await http.GetAsync("hello?x=1");
        Assert.Equal(HttpStatusCode.Unauthorized, page.StatusCode);
        string html = await page.Content.ReadAsStringAsync();
        Assert.Contains("action=\"/.spokes/login\"", html);
        Assert.Contains("value=\"/hello?x=1\"", html);

        var wrong = await http.PostAsync(".spokes/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["password"] = "nope", ["return"] = "/hello" }));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("Wrong password", await wrong.Content.ReadAsStringAsync());

        using var noRedirect = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false, UseCookies = false,
            ConnectCallback = async (_, ct) =>
            {
                var socket = await bed.Visitor.ConnectAsync(bed.Bed.HttpPort);
                return new NetworkStream(socket, ownsSocket: true);
            },
        }) { BaseAddress = new Uri($"http://{domain}/") };
        var signedIn = await noRedirect.PostAsync(".spokes/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["password"] = Secret, ["return"] = "//evil.example/steal",
        }));
        Assert.Equal(HttpStatusCode.SeeOther, signedIn.StatusCode);
        Assert.Equal("/", signedIn.Headers.Location!.OriginalString);
        string setCookie = Assert.Single(signedIn.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", setCookie, StringComparison.OrdinalIgnoreCase);
        string cookie = setCookie.Split(';')[0];

        async Task<HttpStatusCode> WithCookieAsync(string value)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "hello");
            request.Headers.Add("Cookie", value);
            return (await noRedirect.SendAsync(request)).StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await WithCookieAsync(cookie));
        Assert.Equal(HttpStatusCode.OK, await WithCookieAsync(cookie));
        string[] parts = cookie.Split('=', 2)[1].Split('.');
        Assert.Equal(HttpStatusCode.Unauthorized, await WithCookieAsync($"spokes_auth={long.Parse(parts[0]) + 86_400}.{parts[1]}"));
        Assert.Equal(HttpStatusCode.Unauthorized, await WithCookieAsync("spokes_auth=4102444800.forged"));

        for (int i = 0; i < 5; i++)
            await http.PostAsync(".spokes/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["password"] = "guess " + i }));
        var throttled = await http.PostAsync(".spokes/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["password"] = Secret }));
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.Equal(HttpStatusCode.OK, await WithCookieAsync(cookie));
        Assert.DoesNotContain(Secret, File.ReadAllText(agent.ConfigPath));
    });

    [Fact]
    public Task Webroot_ServesFilesIndexAndRanges_NeverAFileOutsideIt() => bed.Bed.ScenarioAsync(output, async () =>
    {
        const string domain = "files.example.com";
        string root = Directory.CreateTempSubdirectory("spokes-www").FullName;
        string outside = Directory.CreateTempSubdirectory("spokes-outside").FullName;
        try
        {
            File.WriteAllText(Path.Combine(root, "index.html"), "<h1>home</h1>");
            File.WriteAllText(Path.Combine(root, "a.txt"), "0123456789");
            File.WriteAllText(Path.Combine(root, ".env"), "hidden");
            Directory.CreateDirectory(Path.Combine(root, "docs"));
            File.WriteAllText(Path.Combine(root, "docs", "index.html"), "<h1>docs</h1>");
            File.WriteAllText(Path.Combine(outside, "secret.txt"), "outside the webroot");
            File.CreateSymbolicLink(Path.Combine(root, "out"), outside);
            File.CreateSymbolicLink(Path.Combine(root, "leak.txt"), Path.Combine(outside, "secret.txt"));
            var agent = await AgentAsync("wes");
            (await agent.RunAsync("http", "add", "--domain", domain, "--destination", "127.0.0.1", "--webroot", root)).ExpectExit(0);
            using var http = bed.Visitor.Http(domain);

            var home = await http.GetAsync("");
            Assert.Equal("<h1>home</h1>", await home.Content.ReadAsStringAsync());
            Assert.Equal("text/html", home.Content.Headers.ContentType!.MediaType);
            Assert.Equal("<h1>docs</h1>", await http.GetStringAsync("docs/"));
            using (var range = new HttpRequestMessage(HttpMethod.Get, "a.txt"))
            {
                range.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(2, 5);
                var partial = await http.SendAsync(range);
                Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
                Assert.Equal("2345", await partial.Content.ReadAsStringAsync());
            }
            foreach (var path in new[] { "missing.txt", ".env", "out/secret.txt", "leak.txt" })
                Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(path)).StatusCode);

            // Traversal the client would normalize away, sent raw.
            foreach (var target in new[] { "/../spokes-outside/secret.txt", "/%2e%2e/%2e%2e/etc/passwd", "/docs/..%2f..%2fetc/passwd", "/..%5c..%5cetc/passwd" })
            {
                using var socket = await bed.Visitor.ConnectAsync(bed.Bed.HttpPort);
                await Visitor.SendAllAsync(socket, Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: {domain}\r\nConnection: close\r\n\r\n"));
                string answer = Encoding.ASCII.GetString(await Visitor.ReadToEndAsync(socket));
                Assert.DoesNotContain("outside the webroot", answer);
                Assert.DoesNotContain("root:", answer);
                Assert.Matches(@"^HTTP/1\.1 (400|404) ", answer);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
            Directory.Delete(outside, recursive: true);
        }
    });

    [Fact]
    public Task HostHeader_RewrittenTowardsTheService_AndASecondHostOnTheConnectionIsMisdirected() => bed.Bed.ScenarioAsync(output, async () =>
    {
        const string domain = "hosthdr.example.com";
        var agent = await AgentAsync("hal");
        (await agent.RunAsync("http", "add", "--domain", domain, "--destination", "127.0.0.1", "--http", bed.HttpBackend.Port.ToString(),
            "--host-header", "internal.local:8080")).ExpectExit(0);
        using var http = bed.Visitor.Http(domain);

        Assert.Equal("internal.local:8080", await http.GetStringAsync("host"));

        using var socket = await bed.Visitor.ConnectAsync(bed.Bed.HttpPort);
        await Visitor.SendAllAsync(socket, Encoding.ASCII.GetBytes(
            $"GET /host HTTP/1.1\r\nHost: {domain}\r\n\r\nGET /host HTTP/1.1\r\nHost: {TrafficFixture.AppDomain}\r\nConnection: close\r\n\r\n"));
        string answers = Encoding.ASCII.GetString(await Visitor.ReadToEndAsync(socket));
        Assert.Contains("HTTP/1.1 200 ", answers);
        Assert.Contains("HTTP/1.1 421 ", answers);
    });

    [Fact]
    public Task OwnCertificate_TheAgentTerminatesTls_ForAPlainHttpService() => bed.Bed.ScenarioAsync(output, async () =>
    {
        const string domain = "own-cert.example.com";
        string dir = Directory.CreateTempSubdirectory("spokes-cert").FullName;
        try
        {
            var certificate = TestCertificates.Issue(domain, TimeSpan.FromDays(30));
            File.WriteAllText(Path.Combine(dir, "cert.pem"), certificate.Certificate);
            File.WriteAllText(Path.Combine(dir, "key.pem"), certificate.Key);
            var agent = await AgentAsync("cec");
            (await agent.RunAsync("http", "add", "--domain", "other.example.com", "--destination", "127.0.0.1", "--http", "80",
                "--cert", Path.Combine(dir, "cert.pem"), "--key", Path.Combine(dir, "key.pem"))).ExpectExit(2).ExpectError("does not cover other.example.com");
            (await agent.RunAsync("http", "add", "--domain", domain, "--destination", "127.0.0.1", "--http", bed.HttpBackend.Port.ToString(),
                "--cert", Path.Combine(dir, "cert.pem"), "--key", Path.Combine(dir, "key.pem"))).ExpectExit(0);

            var (tls, seen) = await bed.Visitor.TlsAsync(domain);
            await using (tls)
            {
                Assert.Equal(certificate.Thumbprint, seen.Thumbprint);
                await tls.WriteAsync(Encoding.ASCII.GetBytes($"GET /hello HTTP/1.1\r\nHost: {domain}\r\nConnection: close\r\n\r\n"));
                using var reader = new StreamReader(tls);
                string answer = await reader.ReadToEndAsync();
                Assert.StartsWith("HTTP/1.1 200 ", answer);
                Assert.Contains("hello from backend", answer);
            }

            // The same rule behind the password page: over HTTPS its session cookie is Secure.
            (await agent.RunWithStdinAsync(Secret, "http", "add", "--domain", domain, "--destination", "127.0.0.1", "--http", bed.HttpBackend.Port.ToString(),
                "--cert", Path.Combine(dir, "cert.pem"), "--key", Path.Combine(dir, "key.pem"), "--password", "-")).ExpectExit(0);
            var (login, _) = await bed.Visitor.TlsAsync(domain);
            await using (login)
            {
                string form = "password=" + Uri.EscapeDataString(Secret) + "&return=%2Fhello";
                await login.WriteAsync(Encoding.ASCII.GetBytes($"POST /.spokes/login HTTP/1.1\r\nHost: {domain}\r\nConnection: close\r\n" +
                    $"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {form.Length}\r\n\r\n{form}"));
                string answer = await new StreamReader(login).ReadToEndAsync();
                Assert.StartsWith("HTTP/1.1 303 ", answer);
                string cookie = answer.Split("\r\n").Single(l => l.StartsWith("Set-Cookie:", StringComparison.OrdinalIgnoreCase));
                Assert.Contains("; secure", cookie, StringComparison.OrdinalIgnoreCase);
                Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    });

    [Fact]
    public Task LetsEncrypt_TheAgentObtainsItsCertificateFromPebble_ThroughTheTunnel_AndReplacesItWithoutDroppingAnOpenConnection() =>
        bed.Bed.ScenarioAsync(output, async () =>
    {
        const string domain = "le.example.com";
        using var dns = new LoopbackDns();
        await using var pebble = await Spokes.Tests.Edge.Acme.PebbleServer.StartAsync(bed.Bed.HttpPort, dnsServer: dns.Endpoint);
        var agent = await bed.Bed.AddAgentAsync("lea", "lea");
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(agent.ConfigPath))!.AsObject();
        config["acme"] = new System.Text.Json.Nodes.JsonObject
        {
            ["directory"] = pebble.DirectoryUrl.ToString(), ["ca"] = pebble.TlsCertificatePath, ["checkSeconds"] = 1,
        };
        File.WriteAllText(agent.ConfigPath, config.ToJsonString());
        await agent.StartAsync();
        (await agent.RunAsync("http", "add", "--domain", domain, "--destination", "127.0.0.1", "--http", bed.HttpBackend.Port.ToString(),
            "--letsencrypt", "--redirect")).ExpectExit(0);

        await agent.Process!.WaitForLineAsync($"letsencrypt: certificate for {domain} installed", TimeSpan.FromSeconds(90));
        var (first, issued) = await bed.Visitor.TlsAsync(domain);
        Assert.Contains("Pebble", issued.Issuer);
        Assert.True(issued.MatchesHostname(domain));
        using var firstReader = new StreamReader(first, leaveOpen: true);
        async Task<string> RequestAsync(System.Net.Security.SslStream tls, StreamReader reader)
        {
            await tls.WriteAsync(Encoding.ASCII.GetBytes($"GET /hello HTTP/1.1\r\nHost: {domain}\r\n\r\n"));
            string status = (await reader.ReadLineAsync())!;
            int length = 0;
            for (string? line; !string.IsNullOrEmpty(line = await reader.ReadLineAsync());)
                if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) length = int.Parse(line[15..].Trim());
            var body = new char[length];
            await reader.ReadBlockAsync(body);
            return status + " " + new string(body);
        }
        Assert.Contains("hello from backend", await RequestAsync(first, firstReader));
        // Plain HTTP is redirected, except the CA's challenges, which reach the agent.
        using (var plain = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectCallback = async (_, ct) => new NetworkStream(await bed.Visitor.ConnectAsync(bed.Bed.HttpPort), ownsSocket: true),
        }))
        {
            Assert.Equal(HttpStatusCode.MovedPermanently, (await plain.GetAsync($"http://{domain}/hello")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await plain.GetAsync($"http://{domain}/.well-known/acme-challenge/unknown-token")).StatusCode);
        }

        // The certificate goes (as when it nears its expiry): the agent orders another; new connections get it, the open one goes on.
        string certs = Path.Combine(Path.GetDirectoryName(agent.ConfigPath)!, "certs");
        File.Delete(Path.Combine(certs, domain + ".crt"));
        await agent.Process.WaitForLineAsync($"letsencrypt: certificate for {domain} installed", TimeSpan.FromSeconds(90), skip: 1);
        await Expect.Within(10.Seconds()).That("a new certificate on new connections", async () =>
        {
            var (tls, seen) = await bed.Visitor.TlsAsync(domain);
            await tls.DisposeAsync();
            return seen.Thumbprint != issued.Thumbprint;
        });
        Assert.Contains("hello from backend", await RequestAsync(first, firstReader));
        await first.DisposeAsync();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(certs, domain + ".key")));
    });

    [Fact]
    public Task ConsoleEdit_UploadsACertificateToTheAgent_KeepsItsAuth_NoNodeKeepsTheKey() => bed.Bed.ScenarioAsync(output, async () =>
    {
        const string domain = "upload.example.com";
        var agent = await AgentAsync("uma");
        (await agent.RunWithStdinAsync(Secret, "http", "add", "--domain", domain, "--destination", "10.255.255.1",
            "--http", "9", "--basic-user", "ann", "--basic-pass", "-")).ExpectExit(0);
        var certificate = TestCertificates.Issue(domain, TimeSpan.FromDays(30));
        string keyPem = certificate.Key;

        // What the console's rule form sends: a new destination and an uploaded certificate.
        var change = new Spokes.Actors.Gateway.RuleChange(Spokes.Actors.Gateway.RuleAction.HttpAdd, domain, "127.0.0.1", bed.HttpBackend.Port,
            Redirect: true, CertificatePem: certificate.Certificate, KeyPem: keyPem);
        var reply = await bed.Bed.AdminAsync(new Spokes.Actors.Gateway.TunnelRulesRequest(agent.TunnelId, change));
        var rules = Assert.IsType<Spokes.Actors.Gateway.TunnelRulesReply>(reply);
        var rule = Assert.Single(rules.Http, r => r.Domain == domain);
        Assert.True(rule is { CustomCertificate: true, BasicAuth: true, Redirect: true, Destination: "127.0.0.1" }, rule.ToString());

        async Task<string> OverTlsAsync(string? authorization)
        {
            var (tls, seen) = await bed.Visitor.TlsAsync(domain);
            await using (tls)
            {
                Assert.Equal(certificate.Thumbprint, seen.Thumbprint);
                string auth = authorization is null ? "" : $"Authorization: {authorization}\r\n";
                await tls.WriteAsync(Encoding.ASCII.GetBytes($"GET /hello HTTP/1.1\r\nHost: {domain}\r\n{auth}Connection: close\r\n\r\n"));
                return await new StreamReader(tls).ReadToEndAsync();
            }
        }
        Assert.StartsWith("HTTP/1.1 401 ", await OverTlsAsync(null));
        string admitted = await OverTlsAsync(Basic("ann", Secret));
        Assert.StartsWith("HTTP/1.1 200 ", admitted);
        Assert.Contains("hello from backend", admitted);

        string keyBody = keyPem.Split('\n')[1];
        Assert.DoesNotContain(keyBody, File.ReadAllText(agent.ConfigPath));
        Assert.DoesNotContain(keyBody, bed.Bed.Log.Since(0));
        string keyFile = Directory.GetFiles(Path.Combine(Path.GetDirectoryName(agent.ConfigPath)!, "certs"), "*.uploaded.key").Single();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));

        // A certificate that does not cover the domain is refused by the agent; the rule stays as it was.
        var other = TestCertificates.Issue("other.example.com");
        var refused = await bed.Bed.AdminAsync(new Spokes.Actors.Gateway.TunnelRulesRequest(agent.TunnelId,
            change with { CertificatePem = other.Certificate, KeyPem = other.Key }));
        Assert.Contains("does not cover", Assert.IsType<Spokes.Actors.Entities.Refusal>(refused).Message);
        var (again, stillSeen) = await bed.Visitor.TlsAsync(domain);
        await again.DisposeAsync();
        Assert.Equal(certificate.Thumbprint, stillSeen.Thumbprint);
    });
}
