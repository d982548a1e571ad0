using Cocona;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spokes.Cli.Commands;
using Spokes.Cli.Node;

var (configPath, rest) = GlobalOptions.Extract(args);
// A node owns its process's lifetime (signals drain it first: NodeLifetime), so `start` does not run inside Cocona's host.
if (rest is ["start"])
    return await NodeHost.RunAsync(configPath);
var builder = CoconaApp.CreateBuilder(rest, options =>
{
    options.EnableShellCompletionSupport = false;
    options.TreatPublicMethodsAsCommands = false;
    // Option names are the SPEC's, as written (--enable2FA); Cocona would lower-case them.
    options.EnableConvertOptionNameToLowerCase = false;
});
builder.Logging.ClearProviders();
builder.Services.AddSingleton(new CliOptions(configPath));
builder.Services.AddSingleton<AdminSession>();
var run = new CommandRun();
builder.Services.AddSingleton(run);

var app = builder.Build();
app.UseFilter(new CliErrorsFilter(run));
app.AddCommand("start", () => NodeHost.RunAsync(configPath))
    .WithDescription("Run a node (edge listeners, actors, console) until stopped");
app.AddSubCommand("users", x => { x.AddCommands<UsersCommands>(); x.AddCommands<QuotaCommand>(); }).WithDescription("Manage administrators and quotas");
app.AddSubCommand("registration", x => x.AddCommands<RegistrationCommands>()).WithDescription("Manage registration tokens");
app.AddSubCommand("token", x => x.AddCommands<TokenCommands>()).WithDescription("Manage auth tokens");
app.AddSubCommand("apikey", x => x.AddCommands<ApiKeyCommands>()).WithDescription("Manage API keys (REST API, /metrics)");
app.AddSubCommand("tunnel", x => x.AddCommands<TunnelCommands>()).WithDescription("List and shut down tunnels");
app.AddSubCommand("port", x => x.AddCommands<PortCommands>()).WithDescription("List leased TCP ports");
app.AddSubCommand("audit", x => x.AddCommands<AuditCommands>()).WithDescription("Read the audit trail");
app.AddSubCommand("cluster", x => x.AddCommands<ClusterCommands>()).WithDescription("Inspect the cluster");
app.AddSubCommand("settings", x => x.AddCommands<SettingsCommands>()).WithDescription("Run-time settings (tunnel options)");
app.AddCommands<HousekeepingCommands>();
await app.RunAsync();
var askedForHelp = rest.Any(a => a is "-h" or "--help" or "--version");
if (askedForHelp && !run.Started)
    Environment.ExitCode = 0;
else if (!run.Started && Environment.ExitCode != 0)
    Environment.ExitCode = Spokes.Cli.Output.ExitCodes.BadArguments;
return Environment.ExitCode;
