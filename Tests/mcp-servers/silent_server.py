"""A stdio "MCP server" for Tern's tests that never answers.

It reads standard input until end-of-file and discards everything, writing nothing to stdout.
Use it to test timeouts (`initialize`, `tools/call` that never complete) and that stopping a
server that ignores its input still works. It exits with code 0 when stdin is closed, so a
clean shutdown (close stdin, wait) ends it without signals. Needs only the standard library.
"""

import sys

if __name__ == "__main__":
    while sys.stdin.buffer.read1(65536):
        pass
