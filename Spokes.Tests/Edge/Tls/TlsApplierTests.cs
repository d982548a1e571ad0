using System.Security.Cryptography;
using Spokes.Actors.Configuration;
using Spokes.Actors.Security;
using Spokes.Actors.Settings;
using Spokes.Acme;
using Spokes.Edge.Acme;
using Spokes.Edge.Tls;
using Spokes.Tests.Support;

namespace Spokes.Tests.Edge.Tls;

public sealed class TlsApplierTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly SecretBox _secrets = new(RandomNumberGenerator.GetBytes(32));
    private readonly SpokesConfig _config;
    private readonly ServerCertificate _server;
    private readonly AcmeSwitch _acme = new(false, "");
    private readonly TlsApplier _applier;

    public TlsApplierTests()
    {
        _config = new SpokesConfig { Domain = "localhost", DataPath = _temp.Path };
        _server = new ServerCertificate(ServerCertificate.Load(_config));
        _applier = new TlsApplier(_config, _server, _acme, _secrets, TimeProvider.System);
    }

    public void Dispose() => _temp.Dispose();

    private TlsChoice Custom(TestCertificates.Pem pem) => new(TlsMode.Custom, pem.Certificate, _secrets.Seal(pem.Key), "");

    [Fact]
    public void Custom_Applied_ServesThatCertificate_SelfSignedSwapsBack()
    {
        var selfSigned = _server.Current.Thumbprint;
        var pem = TestCertificates.Issue("localhost");

        Assert.True(_applier.Apply(Custom(pem), "localhost")!.Value.Ok);
        Assert.Equal(pem.Thumbprint, _server.Current.Thumbprint);
        Assert.True(_server.Current.HasPrivateKey);

        var line = _applier.Apply(new TlsChoice(TlsMode.SelfSigned, "", "", ""), "localhost")!.Value;
        Assert.True(line.Ok);
        Assert.Contains(selfSigned, line.Line);
        Assert.Equal(selfSigned, _server.Current.Thumbprint);
    }

    [Fact]
    public void SameChoice_Twice_IsAppliedOnce()
    {
        var choice = Custom(TestCertificates.Issue("localhost"));
        Assert.NotNull(_applier.Apply(choice, "localhost"));
        Assert.Null(_applier.Apply(choice, "localhost"));
        Assert.Null(new TlsApplier(_config, _server, _acme, _secrets, TimeProvider.System).Apply(TlsChoice.Configured, "localhost"));
    }

    [Fact]
    public void Custom_ExpiredSinceUpload_KeepsTheCurrentCertificate()
    {
        var before = _server.Current.Thumbprint;
        var applied = _applier.Apply(Custom(TestCertificates.Issue("localhost", TimeSpan.FromDays(-1))), "localhost")!.Value;
        Assert.False(applied.Ok);
        Assert.Contains("expired", applied.Line);
        Assert.Equal(before, _server.Current.Thumbprint);
    }

    [Fact]
    public void LetsEncrypt_TurnsTheRenewerOn_OtherModesTurnItOff()
    {
        var changed = _acme.Changed;
        _applier.Apply(new TlsChoice(TlsMode.LetsEncrypt, "", "", "ops@example.com"), "localhost");
        Assert.True(changed.IsCompleted);
        Assert.True(_acme.Wanted);
        Assert.Equal("ops@example.com", _acme.Email);

        _applier.Apply(Custom(TestCertificates.Issue("localhost")), "localhost");
        Assert.False(_acme.Wanted);
        Assert.False(_acme.RunIfWanted(() => throw new InvalidOperationException("must not install")));

        _applier.Apply(new TlsChoice(TlsMode.LetsEncrypt, "", "", "ops@example.com"), "localhost");
        _applier.Apply(TlsChoice.Configured, "localhost");
        Assert.False(_acme.Wanted); // config.json has no tls.useLE
    }
}
