"""Serving the marking app with waitress (a production WSGI server, threads, no reloader)."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path


class Running:
    """A server started in a thread: its URL, and stop() (tests, the bench, the browser test)."""

    def __init__(self, folder: Path, token: str, host: str = "127.0.0.1", port: int = 0,
                 grader_name: str = "TA", threads: int = 8):
        from waitress.server import create_server

        from grader.marking.app import Refresher, create_app

        self.refresher = Refresher(Path(folder))
        self.app = None
        self.server = create_server(_Lazy(self), host=host, port=port, threads=threads,
                                    ident="grader-mark", clear_untrusted_proxy_headers=True)
        self.port = self.server.effective_port
        local = host in ("127.0.0.1", "localhost", "::1")
        shown = "127.0.0.1" if host in ("127.0.0.1", "0.0.0.0", "") else host
        # Bound to this machine: only its own names (a rebinding attack names another host).
        # Bound to the network on purpose: any name reaches it; the token is the guard.
        hosts = {f"{h}:{self.port}" for h in ("localhost", "127.0.0.1", host)} if local else None
        self.app = create_app(folder, token, grader_name=grader_name, allowed_hosts=hosts,
                              refresher=self.refresher)
        self.url = f"http://{shown}:{self.port}/?token={token}"
        self._thread: threading.Thread | None = None

    def start(self) -> "Running":
        """Serve in a background thread (so tests and :func:`serve` can stop it); returns self."""
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, name="grader-mark", daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        try:
            self.server.run()
        except (OSError, ValueError):  # its socket closed under it by stop(): the normal end
            if not self._stopping:
                raise

    def stop(self) -> None:
        """Close the server and flush the gradebook files before returning."""
        self._stopping = True
        self.server.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.refresher.close()


class _Lazy:
    """The WSGI callable before the app exists (the app needs the port the server chose)."""

    def __init__(self, running: Running):
        self.running = running

    def __call__(self, environ, start_response):
        return self.running.app(environ, start_response)


def serve(folder: Path, *, token: str, host: str, port: int, grader_name: str) -> int:
    """Serve the marking app until Ctrl-C or SIGTERM, printing the URL with its token; the exports are
    rewritten on the way out. Returns exit status 0."""
    running = Running(folder, token, host, port, grader_name)
    print(f"grader mark: marking {folder} at\n\n    {running.url}\n\n"
          f"Open it in a browser on this machine (the token in it is the key: share it only with "
          f"your co-TAs). Ctrl-C stops the server; the marks are saved as you go.", file=sys.stderr, flush=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"grader mark: warning: listening on {host}, not only on this machine", file=sys.stderr)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    running.start()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()
        print("grader mark: stopped; gradebook.csv, canvas.csv and gradescope.csv are up to date",
              file=sys.stderr)
        _say_unmarked(folder)
    return 0


def _say_unmarked(folder: Path) -> None:
    from grader import gradebook_db as db
    from grader.commands.mark import unmarked_note

    conn = db.connect(folder)
    try:
        note = unmarked_note(db.progress(conn))
    finally:
        conn.close()
    if note:
        print(f"grader mark: warning: {note}", file=sys.stderr)
