import TernCore
import TernHTTP
import Testing

/// The role × action table both the portal and the admin JSON API ask (``PortalAccess``).
@Suite struct PortalAccessTests {
    enum Caller: CaseIterable {
        case admin, owner, member, viewer, outsider

        var isAdmin: Bool { self == .admin }
        var role: MemberRole? {
            switch self {
            case .admin, .outsider: nil
            case .owner: .owner
            case .member: .member
            case .viewer: .viewer
            }
        }
    }

    /// Who may: admins everything; owners their context (tools included) but not a command on
    /// this host or anything global; members read and decide; viewers read only; outsiders nothing.
    static let expected: [PortalAccess.Action: Set<Caller>] = [
        .readContext: [.admin, .owner, .member, .viewer],
        .decideApprovals: [.admin, .owner, .member],
        .manageMembers: [.admin, .owner],
        .manageCredentials: [.admin, .owner],
        .configureTools: [.admin, .owner],
        .configureHost: [.admin],
        .administer: [.admin],
    ]

    @Test(arguments: PortalAccess.Action.allCases)
    func matrix(_ action: PortalAccess.Action) throws {
        let allowed = try #require(Self.expected[action], "no expectation for \(action)")
        for caller in Caller.allCases {
            let refusal = PortalAccess.refusal(isAdmin: caller.isAdmin, role: caller.role, action)
            #expect((refusal == nil) == allowed.contains(caller), "\(caller) × \(action): \(refusal ?? "allowed")")
            if let refusal { #expect(!refusal.isEmpty) }
        }
    }

    @Test func refusals_sayWhy() {
        #expect(
            PortalAccess.refusal(isAdmin: false, role: .viewer, .decideApprovals)
                == "a viewer of this context cannot approve or deny; ask a member or owner")
        #expect(PortalAccess.refusal(isAdmin: false, role: nil, .readContext) == "you are not a member of this context")
    }
}
