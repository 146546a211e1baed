import TernCore

extension Migration {
    /// The `default` context and the `local` user, so a fresh install answers chat before any
    /// tenant is set up. Traffic authenticated by a static API key runs as them.
    static let defaultTenant = Migration(
        version: 2, name: "default context and local user",
        up: { _ in
            [
                """
                INSERT INTO contexts (id, name, created_at)
                VALUES ('\(ContextID.defaultContext.rawValue)', 'default', 0)
                """,
                """
                INSERT INTO users (id, email, display_name, role, created_at)
                VALUES ('\(UserID.localUser.rawValue)', NULL, 'local', 'admin', 0)
                """,
            ]
        },
        down: { _ in
            [
                "DELETE FROM users WHERE id = '\(UserID.localUser.rawValue)'",
                "DELETE FROM contexts WHERE id = '\(ContextID.defaultContext.rawValue)'",
            ]
        }
    )
}
