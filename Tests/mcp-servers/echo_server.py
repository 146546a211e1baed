"""A small MCP server over stdio for Tern's tests, written with the official Python SDK (`mcp` 2.x).

Run it with the test venv's python (`$TERN_TEST_MCP_PYTHON echo_server.py`); it speaks
newline-delimited JSON-RPC on stdin/stdout and needs nothing from the environment.

At start it writes one line to stderr: `echo_server: ready` (tests check stderr reaches the log).

Tools:
- `echo(text)`            returns `text` unchanged.
- `add(a, b)`             returns the integer sum `a + b`.
- `fail(message)`         raises a tool error: the result has `isError: true` and `message` as text.
- `slow(seconds)`         sleeps `seconds` (a float), then returns "slept <seconds>" (for timeouts).
- `crash()`               exits the process at once with code 3, without answering.
- `spawn_child()`         starts a grandchild `sleep 300` in the server's own process group and
                          returns its pid as text (to prove that stopping kills the whole group).
- `env(name)`             returns the value of environment variable `name`, or "<unset>".
- `delete_everything()`   annotated `destructiveHint: true`; does nothing, returns "nothing deleted".
"""

import asyncio
import os
import subprocess
import sys

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

server = MCPServer(name="tern-echo", version="1.0.0")


@server.tool()
def echo(text: str) -> str:
    """Returns the text unchanged."""
    return text


@server.tool()
def add(a: int, b: int) -> int:
    """Adds two integers."""
    return a + b


@server.tool()
def fail(message: str) -> str:
    """Always fails with the given message (the result has isError: true)."""
    raise ToolError(message)


@server.tool()
async def slow(seconds: float) -> str:
    """Sleeps for the given number of seconds, then answers."""
    await asyncio.sleep(seconds)
    return f"slept {seconds}"


@server.tool()
def crash() -> str:
    """Exits the server process at once with code 3, without answering."""
    sys.stderr.flush()
    os._exit(3)


@server.tool()
def spawn_child() -> str:
    """Starts a long-running grandchild (`sleep 300`) in this process group; returns its pid."""
    child = subprocess.Popen(
        ["sleep", "300"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return str(child.pid)


@server.tool()
def env(name: str) -> str:
    """Returns the value of an environment variable, or "<unset>"."""
    return os.environ.get(name, "<unset>")


@server.tool(annotations=ToolAnnotations(destructiveHint=True))
def delete_everything() -> str:
    """Pretends to delete everything (a no-op marked destructive)."""
    return "nothing deleted"


if __name__ == "__main__":
    print("echo_server: ready", file=sys.stderr, flush=True)
    server.run()  # stdio
