using Spokes.Agent.Config;

namespace Spokes.Agent.Local;

/// <summary>
/// Where a rule command goes: to the running agent through the local API (it asks the node and
/// saves), or, when none runs, straight into the config file.
/// </summary>
internal sealed class RuleGateway(ConfigStore store)
{
    public async Task<LocalResponse> SendAsync(LocalRequest request, CancellationToken cancellationToken)
    {
        if (await LocalApiClient.TrySendAsync(store.SocketPath, request, cancellationToken).ConfigureAwait(false) is { } answer)
        {
            return answer;
        }

        if (request.Op == LocalOps.TcpAllocate)
        {
            return LocalResponse.Fail(LocalFailures.Unreachable, "tcp allocate needs a running agent (spokes-agent start) to ask the node");
        }

        if (request.Op is LocalOps.MapAdd or LocalOps.MapRemove)
        {
            var (config, failure, error) = MapBook.Apply(store.Load(), request);
            if (config is null) return LocalResponse.Fail(failure!, error!);
            store.Save(config);
            return LocalResponse.Success();
        }

        RuleChange change = RuleBook.Apply(store.Load(), request, strict: true);
        if (change.Config is null)
        {
            return LocalResponse.Fail(change.Failure == RuleFailure.NotFound ? LocalFailures.NotFound : LocalFailures.Invalid, change.Error!);
        }

        store.Save(change.Config);
        return LocalResponse.Success(request.Port);
    }
}
