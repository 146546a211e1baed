import Testing
import TernCore

/// The role table of docs/security.md, cell by cell.
@Suite struct ContextPermissionsTests {
    static let table: [(ContextAction, viewer: Bool, member: Bool, owner: Bool)] = [
        (.chat, true, true, true),
        (.runTool(.read), true, true, true),
        (.runTool(.write), false, true, true),
        (.runTool(.external), false, true, true),
        (.runTool(.dangerous), false, true, true),
        (.decideApprovals, false, true, true),
        (.manage, false, false, true),
    ]

    @Test(arguments: table.indices) func roleTable_matchesTheDocs(_ row: Int) {
        let (action, viewer, member, owner) = Self.table[row]
        #expect(MemberRole.viewer.allows(action) == viewer, "viewer \(action)")
        #expect(MemberRole.member.allows(action) == member, "member \(action)")
        #expect(MemberRole.owner.allows(action) == owner, "owner \(action)")
        for role in MemberRole.allCases {
            #expect((role.refusal(action) == nil) == role.allows(action), "a refusal exactly when refused")
        }
    }

    @Test func refusals_nameTheRoleAndWhatToDo() {
        #expect(MemberRole.viewer.refusal(.decideApprovals) == "a viewer of this context cannot approve or deny; ask a member or owner")
        #expect(
            MemberRole.member.refusal(.manage) == "only an owner of this context (or an admin) can manage it; you are a member")
        #expect(
            MemberRole.viewer.refusal(.runTool(.external))
                == "a viewer of this context may run only read tools, and this one's risk is external")
    }
}
