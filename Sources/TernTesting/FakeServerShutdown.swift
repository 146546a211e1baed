import ServiceLifecycle

/// Stops a fake server's service group: a graceful shutdown, then (if that takes more than a few
/// seconds) cancellation; returns once it has stopped. Shared by the fake LLM and Bot API servers.
func shutDownFakeServer(_ serviceGroup: ServiceGroup, runTask: Task<Void, Never>, alreadyTriggered: Bool) async {
    if !alreadyTriggered { await serviceGroup.triggerGracefulShutdown() }
    await withTaskGroup(of: Void.self) { group in
        group.addTask { await runTask.value }
        group.addTask {
            do {
                try await Task.sleep(for: .seconds(5))
            } catch {
                return  // the server finished first; nothing to cancel
            }
            runTask.cancel()
        }
        await group.next()
        group.cancelAll()
    }
    await runTask.value
}
