using System.Security.Cryptography;
using System.Text;
using Spokes.Actors.Configuration;
using Spokes.Actors.Entities;
using Spokes.Actors.Gateway;
using Spokes.Actors.Security;
using Spokes.Actors.Serialization;
using Spokes.Actors.Settings;
using Spokes.Admin.Services;
using Spokes.Edge.Tls;
using Spokes.Tests.Support;

namespace Spokes.Tests.Actors.Settings;

public sealed class TlsSettingsTests
{
    private static readonly SpokesConfig Config = new() { Domain = "localhost" };
    private readonly SecretBox _secrets = new(RandomNumberGenerator.GetBytes(32));

    private ServerSettings Service() => new(Config, null!, _secrets, new PemCertificateCheck(new DomainSource(Config.Domain), null!, null!, TimeProvider.System));

    [Fact]
    public void Validate_CertificateForTheDomain_IsAccepted()
    {
        var pem = TestCertificates.Issue("localhost");
        Assert.Null(Service().Validate(new TlsRequest(TlsMode.Custom, pem.Certificate, pem.Key)));
    }

    [Fact]
    public void Validate_WrongDomain_SaysWhichNamesItHas()
    {
        var pem = TestCertificates.Issue("other.example.com");
        Assert.Equal("certificate does not cover localhost (it names other.example.com)",
            Service().Validate(new TlsRequest(TlsMode.Custom, pem.Certificate, pem.Key)));
    }

    [Fact]
    public void Validate_Expired_IsRefused()
    {
        var pem = TestCertificates.Issue("localhost", TimeSpan.FromDays(-2));
        Assert.StartsWith("certificate expired on", Service().Validate(new TlsRequest(TlsMode.Custom, pem.Certificate, pem.Key)));
    }

    [Theory]
    [InlineData("", "paste or upload the private key")]
    [InlineData("not a key", "cannot load the certificate with this key")]
    public void Validate_NoKey_IsRefused(string key, string expected)
    {
        var pem = TestCertificates.Issue("localhost");
        Assert.StartsWith(expected, Service().Validate(new TlsRequest(TlsMode.Custom, pem.Certificate, key)));
    }

    [Fact]
    public void Validate_KeyOfAnotherCertificate_IsRefused()
    {
        var (pem, other) = (TestCertificates.Issue("localhost"), TestCertificates.Issue("localhost"));
        Assert.StartsWith("cannot load", Service().Validate(new TlsRequest(TlsMode.Custom, pem.Certificate, other.Key)));
    }

    [Fact]
    public void Validate_Garbage_IsOneLine()
    {
        var problem = Service().Validate(new TlsRequest(TlsMode.Custom, "-----BEGIN CERTIFICATE-----\ngarbage\n", "garbage"));
        Assert.StartsWith("cannot load", problem);
        Assert.DoesNotContain('\n', problem!);
    }

    [Theory]
    [InlineData("ops@example.com", true)]
    [InlineData("ops@localhost", false)]
    [InlineData("ops example.com", false)]
    [InlineData("", false)]
    public void Validate_LetsEncrypt_NeedsAnEmail(string email, bool ok) =>
        Assert.Equal(ok, Service().Validate(new TlsRequest(TlsMode.LetsEncrypt, AcmeEmail: email)) is null);

    [Fact]
    public void Custom_Persisted_KeyIsSealedInTheSerializedEvent()
    {
        var pem = TestCertificates.Issue("localhost");
        var command = Service().CommandFor(new TlsRequest(TlsMode.Custom, pem.Certificate, pem.Key), "test");
        var decision = SettingsState.Empty.Decide(command, DateTimeOffset.UtcNow);
        var chosen = Assert.IsType<TlsChosen>(Assert.Single(decision.Events));
        var json = Encoding.UTF8.GetString(new SpokesSerializer(null!).ToBinary(chosen));
        Assert.DoesNotContain("PRIVATE KEY", json);
        Assert.Contains("BEGIN CERTIFICATE", json);
        Assert.Equal(pem.Key, _secrets.Open(chosen.SealedPrivateKey));
        var state = SettingsState.Empty.Apply(chosen);
        Assert.Equal(TlsMode.Custom, state.Tls.Mode);
        Assert.DoesNotContain("PRIVATE KEY", Encoding.UTF8.GetString(new SpokesSerializer(null!).ToBinary(state)));
    }

    [Fact]
    public void Entity_PlainKey_IsRefused()
    {
        var pem = TestCertificates.Issue("localhost");
        var decision = SettingsState.Empty.Decide(new ChooseTls(SettingsIds.Server, TlsMode.Custom, pem.Certificate, pem.Key, "", "t"), DateTimeOffset.UtcNow);
        Assert.Empty(decision.Events);
    }

    [Fact]
    public void Entity_TunnelOptionsChange_KeepsTheTlsChoice()
    {
        var state = SettingsState.Empty.Apply(new TlsChosen(TlsMode.LetsEncrypt, "", "", "ops@example.com", DateTimeOffset.UtcNow, "t"))
            .Apply(new TunnelOptionsChanged(4, 4, DateTimeOffset.UtcNow, "t"));
        Assert.Equal(new TlsChoice(TlsMode.LetsEncrypt, "", "", "ops@example.com"), state.Tls);
    }
}
