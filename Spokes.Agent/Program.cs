using Cocona;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spokes.Agent.Commands;
using Spokes.Agent.Config;
using Spokes.Agent.Local;

var (configArgument, rest) = CliOptions.Extract(args);
var store = new ConfigStore(ConfigPaths.Resolve(configArgument));
var builder = CoconaApp.CreateBuilder(rest, options =>
{
    options.EnableShellCompletionSupport = false;
    options.TreatPublicMethodsAsCommands = false;
});
builder.Logging.ClearProviders();
builder.Services.AddSingleton(store);
builder.Services.AddSingleton<RuleGateway>();
var run = new CommandRun();
builder.Services.AddSingleton(run);

var app = builder.Build();
app.UseFilter(new CliErrorsFilter(run));
app.AddCommands<ConfigureCommands>();
app.AddCommands<RunCommands>();
app.AddSubCommand("http", x =>
{
    x.AddCommands<HttpCommands>();
    x.AddSubCommand("firewall", f => f.AddCommands<HttpFirewallCommands>()).WithDescription("Networks a domain admits or refuses at the edge");
}).WithDescription("Manage HTTP/TLS rules (by domain)");
app.AddSubCommand("tcp", x =>
{
    x.AddCommands<TcpCommands>();
    x.AddSubCommand("firewall", f => f.AddCommands<TcpFirewallCommands>()).WithDescription("Networks a leased port admits or refuses at the edge");
}).WithDescription("Manage leased TCP ports");
app.AddSubCommand("map", x => x.AddCommands<MapCommands>())
    .WithDescription("Local ports to services behind other tunnels, through the server's SOCKS policy");
await app.RunAsync();
bool askedForHelp = rest.Any(a => a is "-h" or "--help" or "--version");
if (askedForHelp && !run.Started)
{
    Environment.ExitCode = 0;
}
else if (!run.Started && Environment.ExitCode != 0)
{
    Environment.ExitCode = ExitCodes.BadArguments;
}
