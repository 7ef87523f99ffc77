#!/usr/bin/env python3
"""A loopback release mirror for the bootstrap tests.

Usage: serve.py ROOT LOG

Serves the directory ROOT over plain HTTP on 127.0.0.1 and a free port, prints that port on
stdout (one line, flushed) once it is listening, and appends one line to LOG for every
connection it accepts and every request it reads, *before* answering, so that a test can
assert that a script made no request at all (an empty LOG) or list what it asked for. A
request that carried an Authorization header is marked with " authorization" at the end of
its line, so a test can check that no token was sent.

A path that does not exist is a 404, as on GitHub, unless ROOT holds the path with
".redirect" appended: then the answer is a 302 to that file's first line, with "{port}"
replaced by the server's port. The server runs until it is killed.
"""

import functools
import http.server
import sys


class LoggingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, handler, log_path):
        self.log_path = log_path
        super().__init__(address, handler)

    def log_line(self, line):
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(line + "\n")

    def verify_request(self, request, client_address):
        # Even a client that connects and sends nothing must show up in the log.
        self.log_line("CONNECT %s:%d" % client_address)
        return True


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def parse_request(self):
        ok = super().parse_request()
        auth = " authorization" if ok and self.headers.get("Authorization") else ""
        self.server.log_line("%s %s%s" % (self.command or "?", self.path, auth))
        return ok

    def send_head(self):
        target = self.translate_path(self.path) + ".redirect"
        if not self.path.endswith("/") and self._exists(target):
            with open(target, encoding="utf-8") as redirect:
                location = redirect.readline().strip()
            self.send_response(302)
            self.send_header("Location", location.replace("{port}", str(self.server.server_address[1])))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        return super().send_head()

    @staticmethod
    def _exists(path):
        import os

        return os.path.isfile(path)

    def log_message(self, format, *args):
        # The request log above is the only log; keep the test output clean.
        pass


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: serve.py ROOT LOG")
    root, log_path = sys.argv[1], sys.argv[2]
    open(log_path, "a").close()
    handler = functools.partial(Handler, directory=root)
    server = LoggingServer(("127.0.0.1", 0), handler, log_path)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
