using System.Text.Json;
using Spokes.Actors.Client;
using Spokes.Actors.Configuration;
using Spokes.Actors.Entities;
using Spokes.Actors.Gateway;
using Spokes.Actors.Security;
using Spokes.Cli.Output;

namespace Spokes.Cli.Commands;

/// <summary>The global options every command shares.</summary>
public sealed record CliOptions(string? ConfigPath);

/// <summary>Sends one request to the cluster and turns the answer into output and an exit code. Commands
/// stay thin: they build a request and say how to print the reply.</summary>
public sealed class AdminSession(CliOptions options)
{
    // Longer than the node gives a request (docs/internals.md, "Timeouts"): a slow cluster answers with what did not answer.
    private static readonly TimeSpan Timeout = AdminOperations.CallerTimeout;

    public async Task<int> RunAsync<TReply>(IAdminRequest request, Action<TReply> print) where TReply : IWireMessage
    {
        try
        {
            var reply = await SendAsync(request);
            switch (reply)
            {
                case TReply ok:
                    print(ok);
                    return ExitCodes.Ok;
                case Refusal refusal:
                    Console.Error.WriteLine("Error: " + refusal.Message);
                    return ExitCodes.For(refusal);
                default:
                    Console.Error.WriteLine($"Error: unexpected reply {reply.GetType().Name}");
                    return ExitCodes.Failed;
            }
        }
        catch (CliException ex)
        {
            Console.Error.WriteLine("Error: " + ex.Message);
            return ex.ExitCode;
        }
    }

    /// <summary>As <see cref="RunAsync{TReply}(IAdminRequest, Action{TReply})"/>, for output that needs a further request
    /// (<see cref="AskAsync{TReply}"/>), e.g. a creation printed with <c>--json</c> as its listing shows it.</summary>
    public async Task<int> RunAsync<TReply>(IAdminRequest request, Func<TReply, Task> print) where TReply : IWireMessage
    {
        TReply? answered = default;
        var exit = await RunAsync<TReply>(request, reply => answered = reply);
        if (exit != ExitCodes.Ok || answered is null) return exit;
        try
        {
            await print(answered);
            return ExitCodes.Ok;
        }
        catch (CliException ex)
        {
            Console.Error.WriteLine("Error: " + ex.Message);
            return ex.ExitCode;
        }
    }

    /// <summary>One more request inside a print step; a refusal ends the command as it would the first.</summary>
    public async Task<TReply> AskAsync<TReply>(IAdminRequest request) where TReply : IWireMessage => await SendAsync(request) switch
    {
        TReply ok => ok,
        Refusal refusal => throw new CliException(ExitCodes.For(refusal), refusal.Message),
        var other => throw new CliException(ExitCodes.Failed, $"unexpected reply {other.GetType().Name}"),
    };

    public static void PrintJson<T>(T value) => Console.WriteLine(JsonSerializer.Serialize(value, Formats.Json));

    /// <summary>A creation's <c>--json</c>: the listing's object of what was created, with its whole value this once.</summary>
    public async Task PrintCreatedAsync<TList, TItem>(IAdminRequest list, Func<TList, IEnumerable<TItem>> items, AdminSecretCreated created,
        Func<TItem, string> id, Func<TItem, string, TItem> withValue, string what, string listing) where TList : IWireMessage
    {
        var listed = items(await AskAsync<TList>(list)).FirstOrDefault(i => id(i) == created.Id)
            ?? throw new CliException(ExitCodes.Failed, $"{what} {created.Id} was created but is not listed yet; see {listing}");
        PrintJson(withValue(listed, created.Value));
    }

    /// <summary>A done message as its line, or with <c>--json</c> as <c>{"message": ...}</c>.</summary>
    public static void PrintDone(bool json, string message)
    {
        if (json) PrintJson(new { message });
        else Console.WriteLine(message);
    }

    /// <summary>A count of changed entries as its line, or with <c>--json</c> as <c>{"count": N}</c>.</summary>
    public static void PrintCount(bool json, int count, string line)
    {
        if (json) PrintJson(new { count });
        else Console.WriteLine(line);
    }

    private async Task<IWireMessage> SendAsync(IAdminRequest request)
    {
        SpokesConfig config;
        try
        {
            config = ConfigLoader.Load(ConfigLoader.ResolvePath(options.ConfigPath));
        }
        catch (ConfigException ex)
        {
            throw CliException.BadArguments(ex.Message);
        }
        var certificatePath = ClusterCertificate.PathFor(config.DataPath, config.Cluster.Certificate);
        System.Security.Cryptography.X509Certificates.X509Certificate2 certificate;
        try
        {
            certificate = ClusterCertificate.Load(certificatePath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new CliException(ExitCodes.Unreachable,
                $"cannot read the cluster certificate {certificatePath} ({ex.GetType().Name}): run as the user that owns the node's data");
        }
        var contacts = new List<(string, int)> { (ContactHost(config.Cluster.Host), config.Cluster.Port) };
        contacts.AddRange(config.Cluster.Seeds.Select(s => ConfigLoader.ParseEndpoint("cluster.seeds", s)));
        try
        {
            await using var client = await ClusterAdminClient.ConnectAsync(contacts.Distinct().ToList(), certificate);
            return await client.SendAsync(request, Timeout);
        }
        catch (ClusterUnreachableException ex)
        {
            throw new CliException(ExitCodes.Unreachable, ex.Message);
        }
    }

    private static string ContactHost(string host) => host is "0.0.0.0" or "::" ? "127.0.0.1" : host;
}
