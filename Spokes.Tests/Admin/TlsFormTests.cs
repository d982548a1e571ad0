using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Spokes.Actors.Gateway;
using Spokes.Actors.Settings;
using Spokes.Admin.Components.Settings;
using Spokes.Admin.Services;

namespace Spokes.Tests.Admin;

public sealed class TlsFormTests : BunitContext, IAsyncLifetime
{
    private readonly FakeServerSettings _settings = new();

    public TlsFormTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton<IServerSettings>(_settings);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    Task IAsyncLifetime.DisposeAsync() => base.DisposeAsync().AsTask();

    private IRenderedComponent<TlsForm> RenderForm() =>
        Render<TlsForm>(p => p.Add(c => c.Domain, "spokes.example.com").Add(c => c.ConfiguredText, "self-signed"));

    private static void Fill(IRenderedComponent<TlsForm> cut, string testId, string value) =>
        cut.Find($"textarea[data-testid={testId}], input[data-testid={testId}], [data-testid={testId}] textarea, [data-testid={testId}] input").Change(value);

    [Fact]
    public void Configured_ShowsWhatConfigSaysAndNoFields()
    {
        var cut = RenderForm();
        Assert.Contains("as configured (self-signed)", cut.Find("[data-testid=tls-current]").TextContent);
        Assert.Contains("config.json: self-signed", cut.Find("[data-testid=tls-hint]").TextContent);
        Assert.Empty(cut.FindAll("textarea"));
    }

    [Fact]
    public void Custom_ShowsTwoTextAreas_RefusalShown()
    {
        _settings.TlsResult = Outcome<TlsChoiceDto>.Failure("certificate does not cover spokes.example.com (it names localhost)");
        var cut = RenderForm();
        cut.Find("[data-testid=tls-mode-Custom]").Click();
        Assert.Equal(2, cut.FindAll("textarea").Count);
        Fill(cut, "tls-cert", "CERT");
        Fill(cut, "tls-key", "KEY");
        cut.Find("[data-testid=tls-apply]").Click();
        cut.WaitForAssertion(() => Assert.Contains("does not cover", cut.Find("[data-testid=tls-error]").TextContent));
        Assert.Equal(new TlsRequest(TlsMode.Custom, "CERT", "KEY", ""), Assert.Single(_settings.TlsCalls));
    }

    [Fact]
    public void Custom_Applied_ClearsTheKeyAndShowsApplied()
    {
        var cut = RenderForm();
        cut.Find("[data-testid=tls-mode-Custom]").Click();
        Fill(cut, "tls-cert", "CERT");
        Fill(cut, "tls-key", "-----BEGIN PRIVATE KEY-----");
        cut.Find("[data-testid=tls-apply]").Click();
        cut.WaitForAssertion(() => Assert.Contains("custom certificate CN=test", cut.Find("[data-testid=tls-applied]").TextContent));
        Assert.DoesNotContain("PRIVATE KEY", cut.Markup);
    }

    [Fact]
    public void LetsEncrypt_ShowsTheEmailOfTheCurrentChoice()
    {
        _settings.Tls = new TlsChoiceDto(TlsMode.LetsEncrypt, "ops@example.com", "");
        var cut = RenderForm();
        Assert.Contains("Let's Encrypt (account ops@example.com)", cut.Find("[data-testid=tls-current]").TextContent);
        Assert.Equal("ops@example.com", cut.Find("input[data-testid=tls-email], [data-testid=tls-email] input").GetAttribute("value"));
        cut.Find("[data-testid=tls-apply]").Click();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=tls-applied]")));
        Assert.Equal(new TlsRequest(TlsMode.LetsEncrypt, "", "", "ops@example.com"), Assert.Single(_settings.TlsCalls));
    }

    [Fact]
    public void SelfSigned_ExplainsTheCaFile()
    {
        var cut = RenderForm();
        cut.Find("[data-testid=tls-mode-SelfSigned]").Click();
        Assert.Contains("--ca", cut.Find("[data-testid=tls-hint]").TextContent);
    }
}
