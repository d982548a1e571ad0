using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Spokes.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Spokes.Tests.Admin;

/// <summary>The TLS part of the live console run: a certificate uploaded in the browser is served by the node's HTTPS
/// port at once (seen through a real handshake with SNI localhost), and self-signed comes back the same way.</summary>
internal static class LiveTlsSteps
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    public static async Task RunAsync(LiveNode node, Browser browser)
    {
        var selfSigned = X509Certificate2.CreateFromPem(
            await File.ReadAllTextAsync(Path.Combine(node.Dir, "data", "certs", "self-signed.crt"))).Thumbprint;
        Assert.Equal(selfSigned, await ServedThumbprintAsync(node.HttpsPort));
        await Expect(browser.ByTestId("tls-current")).ToContainTextAsync("as configured (self-signed)");

        await browser.ByTestId("tls-mode-Custom").ClickAsync();
        var wrong = TestCertificates.Issue("other.example.com");
        await TextArea(browser, "tls-cert").FillAsync(wrong.Certificate);
        await TextArea(browser, "tls-key").FillAsync(wrong.Key);
        await browser.ByTestId("tls-apply").ClickAsync();
        await Expect(browser.ByTestId("tls-error")).ToContainTextAsync("does not cover localhost");

        var pem = TestCertificates.Issue("localhost");
        // This one picked as files.
        await browser.ByTestId("tls-cert-file").SetInputFilesAsync(new Microsoft.Playwright.FilePayload
            { Name = "localhost.crt", MimeType = "application/x-x509-ca-cert", Buffer = System.Text.Encoding.ASCII.GetBytes(pem.Certificate) });
        await browser.ByTestId("tls-key-file").SetInputFilesAsync(new Microsoft.Playwright.FilePayload
            { Name = "localhost.key", MimeType = "application/x-pem-file", Buffer = System.Text.Encoding.ASCII.GetBytes(pem.Key) });
        await Expect(TextArea(browser, "tls-cert")).ToHaveValueAsync(pem.Certificate.Trim());
        await Expect(TextArea(browser, "tls-key")).ToHaveValueAsync(pem.Key.Trim());
        await browser.ByTestId("tls-apply").ClickAsync();
        await Expect(browser.ByTestId("tls-applied")).ToContainTextAsync("custom certificate CN=localhost");
        await Expect(TextArea(browser, "tls-key")).ToHaveValueAsync("");
        await WaitForThumbprintAsync(node.HttpsPort, pem.Thumbprint);
        await browser.ByTestId("domain").ScrollIntoViewIfNeededAsync();
        await browser.ScreenshotAsync("settings");

        await browser.ByTestId("tls-mode-SelfSigned").ClickAsync();
        await browser.ByTestId("tls-apply").ClickAsync();
        await Expect(browser.ByTestId("tls-applied")).ToContainTextAsync("self-signed");
        await WaitForThumbprintAsync(node.HttpsPort, selfSigned);
        Assert.Contains("tls: serving the uploaded certificate CN=localhost", node.Logs());
    }

    private static Microsoft.Playwright.ILocator TextArea(Browser browser, string testId) =>
        browser.Page.Locator($"textarea[data-testid={testId}], [data-testid={testId}] textarea").First;

    private static async Task WaitForThumbprintAsync(int port, string expected)
    {
        var deadline = DateTime.UtcNow + Deadline;
        string? seen;
        while ((seen = await ServedThumbprintAsync(port)) != expected && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal(expected, seen);
    }

    /// <summary>The thumbprint of the certificate the node presents for SNI localhost.</summary>
    private static async Task<string> ServedThumbprintAsync(int port)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var ssl = new SslStream(tcp.GetStream(), false);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        });
        return ssl.RemoteCertificate!.GetCertHashString();
    }
}
