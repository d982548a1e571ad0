using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spokes.Actors.Configuration;
using Spokes.Actors.Gateway;
using Spokes.Actors.Tokens;

namespace Spokes.Cli.Node;

/// <summary>
/// Reads through API keys (REST <c>GET</c>s, <c>/metrics</c> scrapes), counted on this node and written to each key's
/// entity — so to the audit trail — once per <c>limits.apiKeyAuditSeconds</c>: how many, which requests (the most
/// frequent ten, the rest summed), from which addresses (five, then a count), first and last. A scraper every 15 s
/// then costs one audit entry per period, not one per scrape. Changes are audited one by one by the operation itself.
/// Pending counts are written when the node stops.
/// </summary>
internal sealed class ApiKeyUsage(IServiceProvider services, LimitsConfig limits, TimeProvider time) : BackgroundService
{
    // Resolved when first needed: hosted services are all built before the actor system runs.
    private AdminOperations Operations => services.GetRequiredService<AdminOperations>();

    private const int RequestKinds = 10;
    private const int Addresses = 5;
    private readonly Lock _sync = new();
    private Dictionary<string, Tally> _tallies = [];

    public void Record(string keyId, string method, string path, string from)
    {
        var now = time.GetUtcNow();
        lock (_sync)
        {
            if (!_tallies.TryGetValue(keyId, out var tally)) _tallies[keyId] = tally = new Tally(now);
            tally.Add($"{method} {path}", from, now);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(limits.ApiKeyAuditSeconds), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) Flush();
        }
        catch (OperationCanceledException)
        {
            // Stopping: what is pending goes below.
        }
        Flush();
    }

    internal void Flush()
    {
        Dictionary<string, Tally> tallies;
        lock (_sync) (tallies, _tallies) = (_tallies, []);
        foreach (var (keyId, tally) in tallies)
        {
            var use = tally.Summary(keyId);
            if (use is not null) Operations.RecordApiKeyUse(use);
        }
    }

    private sealed class Tally(DateTimeOffset first)
    {
        private readonly Dictionary<string, int> _requests = [];
        private readonly HashSet<string> _from = [];
        private int _otherRequests, _otherAddresses, _count;
        private readonly DateTimeOffset _first = first;
        private DateTimeOffset _last = first;

        /// <summary>Called under the owner's lock.</summary>
        public void Add(string request, string from, DateTimeOffset at)
        {
            _count++;
            _last = at;
            if (_requests.TryGetValue(request, out var n) || _requests.Count < RequestKinds) _requests[request] = n + 1;
            else _otherRequests++;
            if (!_from.Contains(from) && (_from.Count >= Addresses || !_from.Add(from))) _otherAddresses++;
        }

        public RecordApiKeyUse? Summary(string keyId)
        {
            if (_count == 0) return null;
            var requests = string.Join(", ", _requests.OrderByDescending(r => r.Value).Select(r => $"{r.Key} ×{r.Value}"))
                           + (_otherRequests > 0 ? $", other ×{_otherRequests}" : "");
            var from = string.Join(", ", _from) + (_otherAddresses > 0 ? $" (and {_otherAddresses} from other addresses)" : "");
            return new RecordApiKeyUse(keyId, _count, requests, from, _first, _last, "apikey " + keyId);
        }
    }
}
