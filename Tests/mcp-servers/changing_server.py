"""An MCP server over stdio whose tool list changes, for Tern's pool tests (`mcp` 2.x SDK).

Tools:
- `grow(name)`  adds a tool `name` (it returns "I am <name>") and sends
                `notifications/tools/list_changed`; returns "added <name>".
- `count()`     returns how many times `count` was called in this process, so a test can
                tell a reused connection (1, 2, 3 …) from a new process (1 again).
"""

import os

from mcp.server.mcpserver import Context, MCPServer

server = MCPServer(name="tern-changing", version="1.0.0")
calls = {"count": 0}


@server.tool()
async def grow(name: str, ctx: Context) -> str:
    """Adds a tool called `name` and tells the client the tool list changed."""

    def added() -> str:
        return f"I am {name}"

    server.add_tool(added, name=name, description=f"A tool added at run time: {name}")
    await ctx.session.send_tool_list_changed()
    return f"added {name}"


@server.tool()
def count() -> str:
    """Counts calls in this process."""
    calls["count"] += 1
    return str(calls["count"])


@server.tool()
def pid() -> str:
    """Returns this process's id."""
    return str(os.getpid())


if __name__ == "__main__":
    server.run()  # stdio
