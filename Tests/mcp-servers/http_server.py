"""A small MCP server speaking Streamable HTTP, for Tern's transport tests.

Written with the official Python SDK (`mcp` 2.x, `MCPServer`). It binds 127.0.0.1 only and prints
`PORT <n>` on one stdout line once it listens, so a test can start it with `--port 0`.

Flags:
  --port N      the port to bind (0 = pick a free one)
  --json        answer POSTs with one JSON body instead of an SSE stream
  --stateless   no sessions (no Mcp-Session-Id)
  --resumable   keep an in-memory event store, so SSE events carry ids and a broken stream can be
                resumed with GET + Last-Event-ID (the `interrupted_answer` tool breaks one)
"""

import argparse
import asyncio
import signal
import socket
import sys
import warnings

import anyio
import uvicorn
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.streamable_http import EventMessage, EventStore
from mcp.shared.exceptions import MCPDeprecationWarning


class MemoryEventStore(EventStore):
    """Every event of every stream, in order, with ids "1", "2", …"""

    def __init__(self) -> None:
        self.events = []  # (event_id, stream_id, message or None)

    async def store_event(self, stream_id, message):
        event_id = str(len(self.events) + 1)
        self.events.append((event_id, stream_id, message))
        return event_id

    async def replay_events_after(self, last_event_id, send_callback):
        index = next((i for i, (eid, _, _) in enumerate(self.events) if eid == last_event_id), None)
        if index is None:
            return None
        stream_id = self.events[index][1]
        for event_id, sid, message in self.events[index + 1 :]:
            if sid == stream_id and message is not None:
                await send_callback(EventMessage(message, event_id))
        return stream_id


counts = {"anonymous": 0}


def counting(app):
    """Wraps the ASGI app to count HTTP requests that carry no session id."""

    async def wrapped(scope, receive, send):
        if scope["type"] == "http" and not any(k == b"mcp-session-id" for k, _ in scope["headers"]):
            counts["anonymous"] += 1
        await app(scope, receive, send)

    return wrapped


def build(args) -> MCPServer:
    mcp = MCPServer("tern-http-test", log_level="WARNING")

    @mcp.tool()
    def echo(text: str) -> str:
        """Returns the text unchanged."""
        return text

    @mcp.tool()
    def add(a: int, b: int) -> int:
        """Adds two integers."""
        return a + b

    @mcp.tool()
    def fail(message: str) -> str:
        """Always fails with the message (a tool error, isError=true)."""
        raise ToolError(message)

    @mcp.tool()
    async def notify_then_answer(ctx: Context) -> str:
        """Sends a log notification on the request's stream, then answers."""
        await ctx.info("working on it")
        return "answered"

    @mcp.tool()
    async def slow(seconds: float, ctx: Context) -> str:
        """Sends a "sleeping" log notification (so a test knows the call is running), answers after `seconds`."""
        await ctx.info("sleeping")
        await anyio.sleep(seconds)
        return "done"

    @mcp.tool()
    async def header(name: str, ctx: Context) -> str:
        """The value of request header `name` (empty when absent)."""
        headers = ctx.headers or {}
        return headers.get(name.lower(), "")

    @mcp.tool()
    async def expire_session(ctx: Context) -> str:
        """Forgets this session, so the next request with its id gets 404 (as after an idle timeout)."""
        session_id = (ctx.headers or {}).get("mcp-session-id")
        mcp.session_manager._server_instances.pop(session_id, None)
        return "expired"

    @mcp.tool()
    def anonymous_requests() -> int:
        """How many HTTP requests arrived without an Mcp-Session-Id (each client's initialize)."""
        return counts["anonymous"]

    @mcp.tool()
    async def interrupted_answer(ctx: Context) -> str:
        """Sends a notification, closes the request's SSE stream, then answers (resumable mode)."""
        await ctx.info("before the break")
        await ctx.close_sse_stream()
        return "resumed"

    return mcp


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--stateless", action="store_true")
    parser.add_argument("--resumable", action="store_true")
    args = parser.parse_args()
    # A test runner may start us with SIGTERM/SIGINT blocked (the mask is inherited): unblock them,
    # or `Process.terminate()` would never stop the server.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    # ctx.info uses the logging capability, deprecated after 2025-11-25 but what this client speaks.
    warnings.simplefilter("ignore", MCPDeprecationWarning)

    mcp = build(args)
    app = mcp.streamable_http_app(
        json_response=args.json,
        stateless_http=args.stateless,
        event_store=MemoryEventStore() if args.resumable else None,
        retry_interval=50 if args.resumable else None,
        host="127.0.0.1",
    )
    app = counting(app)

    # IPPROTO_TCP, not the default 0: asyncio sets TCP_NODELAY on an accepted connection only when
    # the socket says it is TCP (as uvicorn's own `--host/--port` binding does). Without it, Nagle
    # holds each response body behind the client's delayed ACK of the head: +40 ms per request on
    # a kept-alive connection.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(128)
    # Connections made from now on wait in the backlog until uvicorn accepts them.
    print(f"PORT {sock.getsockname()[1]}", flush=True)

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2))
    try:
        asyncio.run(server.serve(sockets=[sock]))
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
