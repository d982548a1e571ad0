using Spokes.Actors.Entities;

namespace Spokes.Actors.Users;

/// <summary>One user. Lifecycle: Empty → Created. 2FA: Off → Pending (enabled, no seed yet) → Enrolled.
/// Administrators: Owner ⇄ Admin; enabled ⇄ disabled (only an admin, not an owner, can be disabled).</summary>
public sealed record UserState : IWireMessage
{
    public static readonly UserState Empty = new();

    public string Id { get; init; } = "";
    public string Email { get; init; } = "";
    public string FullName { get; init; } = "";
    public string Origin { get; init; } = "";
    public string? PasswordHash { get; init; }
    public bool TwoFactor { get; init; }
    public string? SealedTotpSecret { get; init; }
    public long LastTotpStep { get; init; }
    public DateTimeOffset Created { get; init; }
    /// <summary>Bumped on every password change: console sessions carry it and die when it moves.</summary>
    public int SecurityStamp { get; init; }
    public UserQuota Quota { get; init; } = UserQuota.None;
    /// <summary>Administrators only (tunnel users have none).</summary>
    public UserRole Role { get; init; }
    /// <summary>A disabled administrator cannot sign in; disabling ends their sessions.</summary>
    public bool Disabled { get; init; }

    public bool Exists => Id.Length > 0;
    public bool IsAdmin => Origin != UserOrigin.TunnelRegistration;
    public bool TwoFactorPending => TwoFactor && SealedTotpSecret is null;
    public bool IsOwner => IsAdmin && Role == UserRole.Owner;

    public Decision Decide(IUserMessage command, DateTimeOffset now) => command switch
    {
        CreateUser c when Exists => Decision.Refuse(ErrorCode.Conflict, $"a user with email '{Email}' already exists"),
        CreateUser c => Decision.Persist(
            new UserCreated(c.EntityId, c.Email, c.FullName, c.Origin, c.PasswordHash, c.TwoFactor, now, c.By) { Role = c.Role }),
        EnsureTunnelUser e when Exists => Decision.Answer(),
        EnsureTunnelUser e => Decision.Persist(
            new UserCreated(e.EntityId, e.Name, "", UserOrigin.TunnelRegistration, null, false, now, e.By)),
        _ when !Exists => Decision.Refuse(ErrorCode.NotFound, "user not found"),
        GetUser => Decision.Answer(),
        SetUserQuota q => Decision.Persist(new UserQuotaChanged(Id, q.Quota, now, q.By)),
        ChangePassword when !IsAdmin => Decision.Refuse(ErrorCode.Invalid, "tunnel users have no password"),
        ChangePassword p => Decision.Persist(new PasswordChanged(Id, now, p.By) { PasswordHash = p.PasswordHash }),
        ChangeFullName f => Decision.Persist(new FullNameChanged(Id, f.FullName, now, f.By)),
        EndSessions when !IsAdmin => Decision.Refuse(ErrorCode.Invalid, "tunnel users do not sign in"),
        EndSessions e => Decision.Persist(new SessionsEnded(Id, now, e.By)),
        SetUserDisabled or SetUserRole when !IsAdmin =>
            Decision.Refuse(ErrorCode.Invalid, "tunnel users do not sign in: revoke their tokens to cut them off"),
        SetUserDisabled d when d.Disabled == Disabled => Decision.Answer(),
        SetUserDisabled { Disabled: true } when IsOwner =>
            Decision.Refuse(ErrorCode.Conflict, $"{Email} is an owner: make them an admin before disabling them"),
        SetUserDisabled d => Decision.Persist(new UserDisabledChanged(Id, d.Disabled, now, d.By)),
        SetUserRole r when r.Role == Role => Decision.Answer(),
        SetUserRole { Role: UserRole.Owner } when Disabled => Decision.Refuse(ErrorCode.Conflict, $"{Email} is disabled: enable them first"),
        SetUserRole r => Decision.Persist(new UserRoleChanged(Id, r.Role, now, r.By)),
        SetTwoFactor when !IsAdmin => Decision.Refuse(ErrorCode.Invalid, "tunnel users do not sign in"),
        SetTwoFactor t => Decision.Persist(new TwoFactorChanged(Id, t.Change, now, t.By)),
        CompleteTwoFactorEnrolment when !TwoFactorPending =>
            Decision.Refuse(ErrorCode.Conflict, "two-factor enrolment is not pending"),
        CompleteTwoFactorEnrolment e => Decision.Persist(new TwoFactorEnrolled(Id, e.SealedSecret, e.AcceptedStep, now, e.By)),
        AcceptTotpStep s when s.Step <= LastTotpStep => Decision.Refuse(ErrorCode.Conflict, "this code was already used"),
        AcceptTotpStep s => Decision.Persist(new TotpStepAccepted(Id, s.Step, now, s.By)),
        _ => Decision.Refuse(ErrorCode.Invalid, $"unknown command {command.GetType().Name}"),
    };

    public UserState Apply(IDomainEvent e) => e switch
    {
        UserCreated c => this with
        {
            Id = c.Id, Email = c.Email, FullName = c.FullName, Origin = c.Origin, PasswordHash = c.PasswordHash,
            TwoFactor = c.TwoFactor, Created = c.At, Role = c.Role,
        },
        UserDisabledChanged d => this with { Disabled = d.Disabled, SecurityStamp = d.Disabled ? SecurityStamp + 1 : SecurityStamp },
        UserRoleChanged r => this with { Role = r.Role },
        PasswordChanged p => this with { PasswordHash = p.PasswordHash, SecurityStamp = SecurityStamp + 1 },
        FullNameChanged f => this with { FullName = f.FullName },
        SessionsEnded => this with { SecurityStamp = SecurityStamp + 1 },
        // A change of the second factor ends the sessions opened under the old one, like a password change.
        TwoFactorChanged { Change: TwoFactorChange.Enable } => this with { TwoFactor = true, SecurityStamp = SecurityStamp + 1 },
        TwoFactorChanged { Change: TwoFactorChange.Disable } => this with { TwoFactor = false, SealedTotpSecret = null, SecurityStamp = SecurityStamp + 1 },
        TwoFactorChanged { Change: TwoFactorChange.Reset } => this with { SealedTotpSecret = null, SecurityStamp = SecurityStamp + 1 },
        TwoFactorEnrolled t => this with { SealedTotpSecret = t.SealedSecret, LastTotpStep = t.AcceptedStep },
        TotpStepAccepted s => this with { LastTotpStep = s.Step },
        UserQuotaChanged q => this with { Quota = q.Quota },
        _ => this,
    };
}
