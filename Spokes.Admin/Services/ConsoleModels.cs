using System.Collections.Immutable;
using Spokes.Actors.Entities;
using Spokes.Actors.Gateway;
using Spokes.Actors.Tunnels;

namespace Spokes.Admin.Services;

/// <summary>The result of a console operation: a value, or the refusal to show the operator.</summary>
public sealed record Outcome<T>(T? Value, string? Error)
{
    public bool Ok => Error is null;
    public static Outcome<T> Success(T value) => new(value, null);
    public static Outcome<T> Failure(string error) => new(default, error);
}

/// <summary>The console's summary of the cluster's tunnels.</summary>
public sealed record OverviewDto(int Online, int Offline, int Total, long BytesDaily, long BytesMonthly,
    ImmutableList<TunnelDto> Busiest);

/// <summary>Everything the tunnel details page shows.</summary>
public sealed record TunnelDetailsDto(TunnelDto Tunnel, string TokenId, long BytesTotal, ImmutableList<HttpRuleInfo> Rules,
    ImmutableList<PortLeaseDto> Ports);

/// <summary>A user with the tunnels registered under it.</summary>
public sealed record UserTunnelsDto(UserDto User, bool IsAdmin, ImmutableList<TunnelDto> Tunnels);

internal static class OutcomeExtensions
{
    public static Outcome<T> ToOutcome<T>(this IWireMessage reply, Func<IWireMessage, T?> pick) =>
        reply is Refusal r ? Outcome<T>.Failure(r.Message)
        : pick(reply) is { } value ? Outcome<T>.Success(value)
        : Outcome<T>.Failure($"unexpected reply {reply.GetType().Name}");
}
