using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Spokes.Actors.Configuration;
using Spokes.Edge.Relay;

namespace Spokes.Tests.Edge;

public sealed class VisitorAdmissionTests
{
    private static readonly IPAddress Visitor = IPAddress.Parse("203.0.113.7");

    private static VisitorAdmission Admission(LimitsConfig limits) =>
        new(limits, new ExemptNetworks(limits), new BandwidthCaps(null!, null!, TimeProvider.System, NullLogger<BandwidthCaps>.Instance),
            NullLogger<VisitorAdmission>.Instance);

    [Fact]
    public void PerTunnelAndPerNodeLimits_EachRefuseTheirExcess_AndTicketsGiveBackTheirPlace()
    {
        var admission = Admission(new LimitsConfig { ConnectionsPerAddressPerTunnel = 2, ConnectionsPerAddress = 3 });

        var a1 = admission.TryAdmit("a", Visitor);
        var a2 = admission.TryAdmit("a", Visitor);
        Assert.NotNull(a1);
        Assert.NotNull(a2);
        Assert.Null(admission.TryAdmit("a", Visitor));
        var b1 = admission.TryAdmit("b", Visitor);
        Assert.NotNull(b1);
        Assert.Null(admission.TryAdmit("b", Visitor));
        Assert.NotNull(admission.TryAdmit("b", IPAddress.Parse("203.0.113.8")));
        Assert.Equal(3, admission.OpenFrom(Visitor));

        a1!.Dispose();
        a1.Dispose();
        Assert.Equal(2, admission.OpenFrom(Visitor));
        Assert.NotNull(admission.TryAdmit("b", Visitor));
    }

    [Fact]
    public void Counters_ExistOnlyWhileConnectionsAreOpen_AndMappedAddressesCountAsTheirIPv4()
    {
        var admission = Admission(new LimitsConfig { ConnectionsPerAddressPerTunnel = 1 });
        var tickets = Enumerable.Range(0, 1000).Select(i => admission.TryAdmit("t", IPAddress.Parse($"198.51.{i / 256}.{i % 256}"))).ToList();
        Assert.All(tickets, Assert.NotNull);
        Assert.Null(admission.TryAdmit("t", IPAddress.Parse("198.51.0.1").MapToIPv6()));

        foreach (var ticket in tickets) ticket!.Dispose();
        Assert.Equal(0, admission.TrackedEntries);
    }

    [Fact]
    public void ZeroMeansNoLimit()
    {
        var admission = Admission(new LimitsConfig { ConnectionsPerAddressPerTunnel = 0, ConnectionsPerAddress = 0 });
        Assert.All(Enumerable.Range(0, 5000).Select(_ => admission.TryAdmit("t", Visitor)), Assert.NotNull);
    }

    [Fact]
    public void ExemptNetworks_AreNotCounted()
    {
        var admission = Admission(new LimitsConfig { ConnectionsPerAddressPerTunnel = 1, Exempt = ["10.0.0.0/8", "192.0.2.1"] });
        Assert.All(Enumerable.Range(0, 100).Select(_ => admission.TryAdmit("t", IPAddress.Parse("10.1.2.3"))), Assert.NotNull);
        Assert.All(Enumerable.Range(0, 100).Select(_ => admission.TryAdmit("t", IPAddress.Parse("192.0.2.1"))), Assert.NotNull);
        Assert.NotNull(admission.TryAdmit("t", IPAddress.Parse("192.0.2.2")));
        Assert.Null(admission.TryAdmit("t", IPAddress.Parse("192.0.2.2")));
    }
}
