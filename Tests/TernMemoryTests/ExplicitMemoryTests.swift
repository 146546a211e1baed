import Testing
import TernMemory

@Suite struct ExplicitMemoryTests {
    @Test func recognisesRequestsToRemember() {
        #expect(ExplicitMemory.fact(in: "Remember that my badge number is 4471.") == "my badge number is 4471.")
        #expect(ExplicitMemory.fact(in: "please remember: the wifi is 'tern-guest'") == "the wifi is 'tern-guest'")
        #expect(ExplicitMemory.fact(in: "Hey, don't forget that Ana is on leave, please.") == "Ana is on leave")
    }

    @Test func ignoresOtherMessages() {
        #expect(ExplicitMemory.fact(in: "Do you remember that song?") == nil)
        #expect(ExplicitMemory.fact(in: "remember when we met") == nil)
        #expect(ExplicitMemory.fact(in: "remember that ") == nil)
    }
}
