using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spokes.Actors.Configuration;
using Spokes.Actors.Gateway;
using Spokes.Actors.Hosting;
using Spokes.Actors.Security;
using Spokes.Admin.Hosting;

namespace Spokes.Tests.Admin;

/// <summary>
/// A node-like host for browser tests: the real Akka wiring of <c>NodeHost</c> (SQLite in a temp folder,
/// a free cluster port) plus the console, on Kestrel HTTPS 127.0.0.1:0 with a throw-away self-signed
/// certificate. Runs in Development so that static web assets (MudBlazor, blazor.web.js) are served from
/// the build output.
/// </summary>
public sealed class ConsoleTestHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dir;

    private ConsoleTestHost(WebApplication app, string dir, Uri address)
    {
        _app = app;
        _dir = dir;
        Address = address;
    }

    public Uri Address { get; }
    public IServiceProvider Services => _app.Services;

    public static async Task<ConsoleTestHost> StartAsync(string? adminSecret)
    {
        var dir = Directory.CreateTempSubdirectory("spokes-console-").FullName;
        var port = FreePort();
        var config = new SpokesConfig
        {
            DataPath = dir,
            Database = new DatabaseConfig { Path = Path.Combine(dir, "spokes.db") },
            Cluster = new ClusterConfig { Host = "127.0.0.1", Port = port },
        };
        var certificate = ClusterCertificate.LoadOrCreate(dir, "");
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = Environments.Development,
            ApplicationName = typeof(ConsoleTestHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(SelfSigned())));
        builder.Services.AddSpokesServices(config, certificate);
        builder.Services.AddAkka(SpokesHocon.SystemName, (akka, _) => akka
            .WithSpokesBasics()
            .WithSpokesRemoting(config.Cluster.Host, config.Cluster.Port, certificate)
            .WithSpokesCluster(config)
            .WithSpokesPersistence(config.Database)
            .WithSpokesEntities(TimeProvider.System)
            .WithSpokesGateway()
            .AddHocon("akka.cluster.sharding.handoff-timeout = 1s\n" +
                      "akka.coordinated-shutdown.phases.cluster-sharding-shutdown-region.timeout = 1s", HoconAddMode.Prepend));
        builder.Services.AddSpokesConsole(o => o.AdminSecret = adminSecret);
        var app = builder.Build();
        app.MapSpokesConsole();
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ConsoleTestHost(app, dir, new Uri(url.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)));
    }

    public T Get<T>() where T : notnull => _app.Services.GetRequiredService<T>();

    private static int FreePort() => Spokes.Tests.DataPlane.Testbed.FreePorts.One();

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pfx), null);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
