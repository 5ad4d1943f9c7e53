"""`python -m zoom_sandbox`: serve the sandbox until interrupted.

    python -m zoom_sandbox --host 127.0.0.1 --port 5050 \\
        [--user host@example.com:admin --user ana@example.com ...] \\
        [--webhook-url http://127.0.0.1:5000/webhooks/zoom] [--webhook-secret S] [--config extra.json]

`--port 0` takes a free port. The first line on stdout is always `Zoom sandbox on http://HOST:PORT`
(`zoom_sandbox.process` reads it to learn the port). Environment: ZOOM_SANDBOX_USERS,
ZOOM_SANDBOX_WEBHOOK_URL, ZOOM_SANDBOX_WEBHOOK_SECRET (flags win).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from zoom_sandbox.app import create_app
from zoom_sandbox.config import from_environment, parse_users


class QuietHandler(WSGIRequestHandler):
    """No access log line per request (errors are still logged)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m zoom_sandbox", description="Serve the local Zoom sandbox."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5050, help="0 picks a free port")
    parser.add_argument("--user", action="append", default=[], metavar="EMAIL[:ROLE]",
                        help="an account user (repeat; role admin or member; the first is the admin "
                             "unless roles are given); default host@example.com")  # fmt: skip
    parser.add_argument("--webhook-url", help="where meeting events are POSTed")
    parser.add_argument("--webhook-secret", help="the secret token webhooks are signed with")
    parser.add_argument(
        "--config", type=Path, help="a JSON object of config keys (see zoom_sandbox/config.py)"
    )
    parser.add_argument("--quiet", action="store_true", help="no access log")
    parser.add_argument("--exit-with-stdin", action="store_true",
                        help="stop when stdin closes (a parent process that dies takes the sandbox along)")  # fmt: skip
    return parser.parse_args(argv)


def config_from(args: argparse.Namespace) -> dict[str, Any]:
    config = from_environment()
    if args.config:
        config.update(json.loads(args.config.read_text(encoding="utf-8")))
    if args.user:
        config["USERS"] = parse_users(args.user)
    if args.webhook_url:
        config["WEBHOOK_URL"] = args.webhook_url
    if args.webhook_secret:
        config["WEBHOOK_SECRET_TOKEN"] = args.webhook_secret
    return config


def stop_when_stdin_closes(server: BaseWSGIServer) -> None:
    def watch() -> None:
        while sys.stdin.buffer.read(4096):
            pass
        server.shutdown()

    threading.Thread(target=watch, name="stdin-watch", daemon=True).start()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        app = create_app(config_from(args))
    except (ValueError, OSError) as exc:
        sys.exit(f"zoom_sandbox: {exc}")
    handler = QuietHandler if args.quiet else WSGIRequestHandler
    server = make_server(args.host, args.port, app, threaded=True, request_handler=handler)
    print(f"Zoom sandbox on http://{args.host}:{server.server_port}", flush=True)
    if args.exit_with_stdin:
        stop_when_stdin_closes(server)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
