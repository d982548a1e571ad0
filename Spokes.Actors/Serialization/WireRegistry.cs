using System.Collections.Frozen;
using Spokes.Actors.Catalog;
using Spokes.Actors.Entities;
using Spokes.Actors.Gateway;
using Spokes.Actors.Ports;
using Spokes.Actors.Tokens;
using Spokes.Actors.Tunnels;
using Spokes.Actors.Users;

namespace Spokes.Actors.Serialization;

/// <summary>
/// Every type that crosses the cluster port or the journal, with its manifest. Manifests of events are
/// stored in the journal: never rename or reuse one; add new ones at the end of their group.
/// </summary>
public static class WireRegistry
{
    private static readonly (string Manifest, Type Type)[] Entries =
    [
        // events (journal) — stable forever
        ("ev.user.created", typeof(UserCreated)),
        ("ev.user.password", typeof(PasswordChanged)),
        ("ev.user.fullname", typeof(FullNameChanged)),
        ("ev.user.2fa", typeof(TwoFactorChanged)),
        ("ev.user.2fa.enrolled", typeof(TwoFactorEnrolled)),
        ("ev.user.totp.step", typeof(TotpStepAccepted)),
        ("ev.reg.created", typeof(RegistrationCreated)),
        ("ev.reg.active", typeof(RegistrationActiveChanged)),
        ("ev.reg.description", typeof(RegistrationDescriptionChanged)),
        ("ev.key.created", typeof(AuthTokenCreated)),
        ("ev.key.deactivated", typeof(AuthTokenDeactivated)),
        ("ev.tun.created", typeof(TunnelCreated)),
        ("ev.tun.shutdown", typeof(TunnelShutDown)),
        ("ev.tun.port.added", typeof(TunnelPortAdded)),
        ("ev.tun.port.removed", typeof(TunnelPortRemoved)),
        ("ev.tun.rules", typeof(TunnelRulesCached)),
        ("ev.tun.session", typeof(TunnelSessionStarted)),
        ("ev.port.leased", typeof(PortLeased)),
        ("ev.port.dest", typeof(PortDestinationSet)),
        ("ev.port.dest.reset", typeof(PortDestinationReset)),
        ("ev.port.released", typeof(PortReleased)),
        // snapshots
        ("st.user", typeof(UserState)),
        ("st.reg", typeof(RegistrationState)),
        ("st.key", typeof(AuthTokenState)),
        ("st.tun", typeof(TunnelState)),
        ("st.port", typeof(PortLeaseState)),
        // entity commands and replies
        ("refusal", typeof(Refusal)),
        ("user.create", typeof(CreateUser)),
        ("user.ensure", typeof(EnsureTunnelUser)),
        ("user.password", typeof(ChangePassword)),
        ("user.fullname", typeof(ChangeFullName)),
        ("user.2fa", typeof(SetTwoFactor)),
        ("user.2fa.enrol", typeof(CompleteTwoFactorEnrolment)),
        ("user.totp.step", typeof(AcceptTotpStep)),
        ("user.get", typeof(GetUser)),
        ("user.reply", typeof(UserReply)),
        ("reg.create", typeof(CreateRegistration)),
        ("reg.active", typeof(SetRegistrationActive)),
        ("reg.description", typeof(SetRegistrationDescription)),
        ("reg.get", typeof(GetRegistration)),
        ("reg.reply", typeof(RegistrationReply)),
        ("key.create", typeof(CreateAuthToken)),
        ("key.deactivate", typeof(DeactivateAuthToken)),
        ("key.get", typeof(GetAuthToken)),
        ("key.reply", typeof(AuthTokenReply)),
        ("tun.create", typeof(CreateTunnel)),
        ("tun.shutdown", typeof(ShutdownTunnel)),
        ("tun.allocate", typeof(AllocatePort)),
        ("tun.release", typeof(ReleaseTunnelPort)),
        ("tun.rules", typeof(CacheHttpRules)),
        ("tun.session", typeof(RecordSessionStart)),
        ("tun.get", typeof(GetTunnel)),
        ("tun.reply", typeof(TunnelReply)),
        ("tun.port", typeof(PortAllocated)),
        ("port.lease", typeof(LeasePort)),
        ("port.dest", typeof(SetPortDestination)),
        ("port.dest.reset", typeof(ResetPortDestination)),
        ("port.release", typeof(ReleasePort)),
        ("port.get", typeof(GetPortLease)),
        ("port.reply", typeof(PortLeaseReply)),
        // catalog
        ("cat.user", typeof(UserUpserted)),
        ("cat.reg", typeof(RegistrationUpserted)),
        ("cat.key", typeof(AuthTokenUpserted)),
        ("cat.tun", typeof(TunnelUpserted)),
        ("cat.port", typeof(PortUpserted)),
        ("cat.ack", typeof(CatalogAck)),
        ("cat.users", typeof(ListUsers)),
        ("cat.regs", typeof(ListRegistrations)),
        ("cat.keys", typeof(ListAuthTokens)),
        ("cat.tuns", typeof(ListTunnels)),
        ("cat.ports", typeof(ListPortLeases)),
        ("cat.free", typeof(FindFreePorts)),
        ("cat.users.r", typeof(UserList)),
        ("cat.regs.r", typeof(RegistrationList)),
        ("cat.keys.r", typeof(AuthTokenList)),
        ("cat.tuns.r", typeof(TunnelList)),
        ("cat.ports.r", typeof(PortLeaseList)),
        ("cat.free.r", typeof(FreePorts)),
        // admin requests (CLI → cluster) and replies
        ("adm.user.add", typeof(AddUserRequest)),
        ("adm.user.ls", typeof(ListUsersRequest)),
        ("adm.user.passwd", typeof(ChangePasswordRequest)),
        ("adm.user.2fa", typeof(TwoFactorRequest)),
        ("adm.reg.create", typeof(CreateRegistrationRequest)),
        ("adm.reg.ls", typeof(ListRegistrationsRequest)),
        ("adm.reg.rm", typeof(RemoveRegistrationRequest)),
        ("adm.key.create", typeof(CreateTokenRequest)),
        ("adm.key.ls", typeof(ListTokensRequest)),
        ("adm.key.rm", typeof(RemoveTokenRequest)),
        ("adm.tun.ls", typeof(ListTunnelsRequest)),
        ("adm.tun.shutdown", typeof(ShutdownTunnelRequest)),
        ("adm.port.ls", typeof(ListPortsRequest)),
        ("adm.clean", typeof(CleanRequest)),
        ("adm.audit", typeof(AuditRequest)),
        ("adm.cluster", typeof(ClusterStatusRequest)),
        ("adm.done", typeof(AdminDone)),
        ("adm.secret", typeof(AdminSecretCreated)),
        ("adm.count", typeof(AdminCount)),
        ("adm.clean.r", typeof(AdminCleanReport)),
        ("adm.users.r", typeof(UsersReply)),
        ("adm.regs.r", typeof(RegistrationsReply)),
        ("adm.keys.r", typeof(TokensReply)),
        ("adm.tuns.r", typeof(TunnelsReply)),
        ("adm.ports.r", typeof(PortsReply)),
        ("adm.audit.r", typeof(AuditReply)),
        ("adm.cluster.r", typeof(ClusterReply)),
        ("presence", typeof(SessionPresence)),
        ("cat.claim", typeof(ClaimDomain)),
        ("cat.release", typeof(ReleaseDomain)),
        ("cat.claimed", typeof(DomainClaimed)),
        ("tun.kick", typeof(TunnelShutdownRequested)),
        ("tun.session.opened", typeof(SessionOpened)),
        ("tun.traffic", typeof(RecordTraffic)),
        ("ev.tun.traffic", typeof(TunnelTrafficRecorded)),
        ("conn", typeof(ConnectionRecord)),
        ("rule.change", typeof(RuleChange)),
        ("rule.push", typeof(PushRule)),
        ("adm.tun.rules", typeof(TunnelRulesRequest)),
        ("adm.tun.rules.r", typeof(TunnelRulesReply)),
    ];

    public static readonly FrozenDictionary<string, Type> TypeByManifest = Entries.ToFrozenDictionary(e => e.Manifest, e => e.Type);
    public static readonly FrozenDictionary<Type, string> ManifestByType = Entries.ToFrozenDictionary(e => e.Type, e => e.Manifest);
}
