using Cocona;
using Spokes.Actors.Gateway;
using Spokes.Cli.Output;

namespace Spokes.Cli.Commands;

public sealed class HousekeepingCommands(AdminSession session)
{
    [Command("clean", Description = "Find and fix orphaned ports and tunnels of revoked tokens (--check: only report)")]
    public Task<int> Clean([Option("check")] bool check = false, [Option("json")] bool json = false) =>
        session.RunAsync<AdminCleanReport>(new CleanRequest(check), report =>
        {
            if (json)
            {
                AdminSession.PrintJson(new { count = report.Count, @fixed = !check, issues = report.Issues });
                return;
            }
            foreach (var issue in report.Issues) Console.WriteLine("- " + issue);
            Console.WriteLine($"Issues {(check ? "Found" : "Fixed")} (tunnels + ports): {report.Count}");
        });
}

public sealed class AuditCommands(AdminSession session)
{
    [Command("ls", Description = "List every change (the journal), oldest first; --since 2026-01-31, 12h, 7d")]
    public Task<int> List([Option("since")] string? since = null, [Option("json")] bool json = false)
    {
        var from = Formats.ParseSince(since, DateTimeOffset.Now);
        return session.RunAsync<AuditReply>(new AuditRequest(from), reply =>
        {
            if (json)
            {
                AdminSession.PrintJson(reply.Entries);
                return;
            }
            Console.WriteLine(AsciiTable.Render(["Time", "Entity", "By", "Event"],
                reply.Entries.Select(e => (IReadOnlyList<string>)[Formats.Seconds(e.At), e.Entity, e.By, e.Event]),
                AsciiTable.Count(reply.Entries.Count, "event", "events")));
        });
    }
}

public sealed class ClusterCommands(AdminSession session)
{
    [Command("drain", Description = "Drain a node (as cluster status names it): not ready, agents move, in-flight streams finish, then it leaves")]
    public Task<int> Drain([Option("node", Description = "host:port of the node's cluster address")] string node,
        [Option("json")] bool json = false) =>
        session.RunAsync<AdminDone>(new DrainNodeRequest(node), done => AdminSession.PrintDone(json, done.Message));

    [Command("status", Description = "Show the cluster's nodes: status, readiness, agents, tunnels and load")]
    public Task<int> Status([Option("json")] bool json = false) =>
        session.RunAsync<ClusterReply>(new ClusterStatusRequest(), reply =>
        {
            if (json)
            {
                AdminSession.PrintJson(reply.Nodes);
                return;
            }
            var invariant = System.Globalization.CultureInfo.InvariantCulture;
            Console.WriteLine(AsciiTable.Render(["Node", "Status", "Ready", "Agents", "Tunnels", "Visitors/s", "Bytes/s", "Leader", "This node"],
                reply.Nodes.Select(n => (IReadOnlyList<string>)[n.Address, n.Status,
                    n.Draining ? "draining" : n.Ready ? "ready" : "no: " + n.NotReadyReason,
                    n.AgentConnections.ToString(invariant), n.Tunnels.ToString(invariant), n.VisitorsPerSecond.ToString("0.0", invariant),
                    Formats.Bytes((long)n.BytesPerSecond) + "/s", Formats.Bool(n.Leader), Formats.Bool(n.Self)]),
                AsciiTable.Count(reply.Nodes.Count, "node", "nodes")));
        });
}
