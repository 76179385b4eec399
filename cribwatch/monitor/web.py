"""The monitor's page: a small asyncio HTTP server on the standard library (no front-end build).

Routes (a fixed table; no request path ever reaches the filesystem):

* ``/``: the page (live coloured view, latest alerts, cry-score and posture timeline, health);
* ``/stream.mjpg``: the live view as MJPEG (``multipart/x-mixed-replace``);
* ``/frame.jpg``: the latest frame;
* ``/api/state``: health, latest records and timeline as JSON.

Listening on a loopback address needs nothing; bound to any other address the server requires
a token (:func:`check_serve`): ``Authorization: Bearer TOKEN``, the cookie the page sets, or
``?token=TOKEN`` on the first visit (answered by a redirect that drops it from the address bar).
A request without it gets HTTP 401. ``cert``/``key`` serve HTTPS, so the token is not sent in
clear over the network.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import os
import socket
import ssl
import threading
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cribwatch.errors import CribwatchError
from cribwatch.monitor.mqtt import parse_hostport
from cribwatch.monitor.page import PAGE

COOKIE = "cribwatch_token"
ROUTES = ("/", "/stream.mjpg", "/frame.jpg", "/api/state")
"""Every path the server answers (anything else: 404)."""
MAX_HEADER = 8192
SECURITY_HEADERS = (
    "Cache-Control: no-store\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "X-Frame-Options: DENY\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "Content-Security-Policy: default-src 'self'; img-src 'self'; style-src 'self' "
    "'unsafe-inline'; script-src 'self' 'unsafe-inline'\r\n"
)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_serve(
    address: str, token: str | None, cert: Path | None, key: Path | None
) -> tuple[str, int]:
    """Validate ``--serve``, ``--token``, ``--cert``/``--key`` before any work."""
    host, port = parse_hostport(address, "--serve", 8080, any_port=True)
    if not is_loopback(host):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            if host not in ("0.0.0.0", "::"):
                try:
                    socket.getaddrinfo(host, port)
                except OSError as exc:
                    raise CribwatchError(f"--serve {address}: unknown host {host!r}") from exc
        if not token:
            raise CribwatchError(
                f"--serve {address}: listening beyond localhost needs --token "
                "(or CRIBWATCH_TOKEN), and --cert/--key for HTTPS"
            )
    if token is not None and len(token) < 16:
        raise CribwatchError("--token: at least 16 characters (use e.g. `openssl rand -hex 16`)")
    if token is not None and not all(
        c.isascii() and c.isprintable() and c not in ' ;,"\\' for c in token
    ):
        raise CribwatchError(
            "--token: letters, digits and punctuation only (no space, ';', ',', quotes)"
        )
    if (cert is None) != (key is None):
        raise CribwatchError("--cert and --key: give both (HTTPS) or neither")
    if cert is not None and key is not None:
        tls_context(cert, key)
    return host, port


def tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    for opt, p in (("--cert", cert), ("--key", key)):
        if not Path(p).is_file():
            raise CribwatchError(f"{opt} {p}: file not found")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(str(cert), str(key))
    except (ssl.SSLError, OSError) as exc:
        raise CribwatchError(f"--cert {cert} / --key {key}: cannot load ({exc})") from exc
    return ctx


class WebServer:
    """Serves a monitor's views on its own thread and event loop.

    ``snapshot()`` returns the JSON state; ``latest()`` the newest frame as ``(seq, jpeg)``
    (both quick and non-blocking: they run on the event loop). At most ``max_clients``
    connections are served at once (the others are closed at once).
    """

    def __init__(
        self,
        host: str,
        port: int,
        snapshot: Callable[[], dict[str, Any]],
        latest: Callable[[], tuple[int, bytes]],
        *,
        token: str | None = None,
        cert: Path | None = None,
        key: Path | None = None,
        mjpeg_fps: float = 15.0,
        max_clients: int = 32,
    ) -> None:
        self.host, self.port = host, port
        self.snapshot = snapshot
        self.latest = latest
        self.max_clients = max_clients
        self.active = 0
        self.token = token
        self.ssl = tls_context(cert, key) if cert is not None and key is not None else None
        self.mjpeg_period = 1.0 / mjpeg_fps
        self.page = PAGE.encode("utf-8")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="web", daemon=True)
        self.requests = 0
        self.refused = 0

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}/"

    def start(self) -> WebServer:
        self._thread.start()
        self._started.wait(10)
        if self._error is not None:
            err = self._error
            reason = getattr(err, "strerror", None) or str(err)
            raise CribwatchError(f"--serve {self.host}:{self.port}: cannot listen ({reason})")
        return self

    def close(self) -> None:
        loop = self._loop
        if loop is not None and loop.is_running():
            loop.call_soon_threadsafe(loop.stop)
        self._thread.join(5)

    # ------------------------------------------------------------------ server

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            self._server = loop.run_until_complete(
                asyncio.start_server(
                    self._handle, self.host, self.port, ssl=self.ssl, reuse_address=True
                )  # fmt: skip
            )
            sock = self._server.sockets[0]
            self.port = sock.getsockname()[1]
        except OSError as exc:
            self._error = exc
            self._started.set()
            loop.close()
            return
        self._started.set()
        try:
            loop.run_forever()
        finally:
            self._server.close()
            tasks = list(asyncio.all_tasks(loop))
            for task in tasks:
                task.cancel()
            if tasks:
                loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.close()

    def _authorized(
        self, headers: dict[str, str], query: dict[str, list[str]]
    ) -> tuple[bool, bool]:
        """(allowed, came with ?token=)."""
        if not self.token:
            return True, False
        want = self.token.encode()
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer ") and hmac.compare_digest(
            auth[7:].strip().encode(), want
        ):
            return True, False
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE and hmac.compare_digest(value.encode(), want):
                return True, False
        q = query.get("token", [""])[0]
        if q and hmac.compare_digest(q.encode(), want):
            return True, True
        return False, False

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.active >= self.max_clients:
            writer.close()
            return
        self.active += 1
        try:
            await self._serve_one(reader, writer)
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError,
                asyncio.LimitOverrunError, ssl.SSLError, OSError):  # fmt: skip
            pass
        except asyncio.CancelledError:
            # the server is closing with this client still connected (an MJPEG viewer): end
            # the task quietly (Python 3.11's stream callback reports a cancelled handler)
            pass
        finally:
            self.active -= 1
            try:
                writer.close()
            except (OSError, RuntimeError):
                pass

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        if len(head) > MAX_HEADER:
            await self._send(writer, 431, "text/plain", b"header too large\n")
            return
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            await self._send(writer, 400, "text/plain", b"bad request\n")
            return
        method, target, _ = parts
        headers = {}
        for ln in lines[1:]:
            if ":" in ln:
                k, _, v = ln.partition(":")
                headers[k.strip().lower()] = v.strip()
        self.requests += 1
        url = urllib.parse.urlsplit(target)
        query = urllib.parse.parse_qs(url.query)
        ok, via_query = self._authorized(headers, query)
        if not ok:
            self.refused += 1
            await self._send(writer, 401, "text/plain", b"token required\n",
                             extra="WWW-Authenticate: Bearer\r\n")  # fmt: skip
            return
        if method not in ("GET", "HEAD"):
            await self._send(writer, 405, "text/plain", b"method not allowed\n",
                             extra="Allow: GET, HEAD\r\n")  # fmt: skip
            return
        path = url.path
        if via_query:
            # set the cookie, drop the token from the address bar and the history
            secure = "; Secure" if self.ssl else ""
            cookie = (
                f"Set-Cookie: {COOKIE}={self.token}; HttpOnly; SameSite=Strict; Path=/{secure}\r\n"
            )
            where = path if path in ROUTES else "/"  # never an address taken from the request
            await self._send(writer, 303, "text/plain", b"", extra=f"{cookie}Location: {where}\r\n")
            return
        if path == "/":
            await self._send(
                writer, 200, "text/html; charset=utf-8", self.page, head=method == "HEAD"
            )
        elif path == "/api/state":
            body = json.dumps(self.snapshot()).encode()
            await self._send(writer, 200, "application/json", body, head=method == "HEAD")
        elif path == "/frame.jpg":
            _, jpg = self.latest()
            if not jpg:
                await self._send(writer, 503, "text/plain", b"no frame yet\n")
            else:
                await self._send(writer, 200, "image/jpeg", jpg, head=method == "HEAD")
        elif path == "/stream.mjpg":
            await self._mjpeg(reader, writer)
        else:
            await self._send(writer, 404, "text/plain", b"not found\n")

    async def _send(self, writer: asyncio.StreamWriter, code: int, ctype: str, body: bytes,
                    extra: str = "", head: bool = False) -> None:  # fmt: skip
        reason = {200: "OK", 303: "See Other", 400: "Bad Request", 401: "Unauthorized",
                  404: "Not Found", 405: "Method Not Allowed", 431: "Header Too Large",
                  503: "Service Unavailable"}.get(code, "")  # fmt: skip
        hdr = (f"HTTP/1.1 {code} {reason}\r\nContent-Type: {ctype}\r\n"
               f"Content-Length: {len(body)}\r\n"
               f"Connection: close\r\n{SECURITY_HEADERS}{extra}\r\n")  # fmt: skip
        writer.write(hdr.encode("latin-1") + (b"" if head else body))
        await writer.drain()

    async def _mjpeg(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        boundary = "cribwatchframe"
        writer.write(
            (f"HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary={boundary}\r\n"
             f"Connection: close\r\n{SECURITY_HEADERS}\r\n--{boundary}\r\n").encode("latin-1")
        )  # fmt: skip
        seq = -1
        loop = asyncio.get_running_loop()
        while not reader.at_eof() and not writer.is_closing():  # the viewer left
            t0 = loop.time()
            new, jpg = self.latest()
            if jpg and new != seq:
                seq = new
                # each part ends with the next boundary at once, so a browser shows the frame
                # now (not when the next one comes)
                writer.write(
                    f"Content-Type: image/jpeg\r\nContent-Length: {len(jpg)}\r\n\r\n".encode()
                    + jpg + f"\r\n--{boundary}\r\n".encode()
                )  # fmt: skip
                await asyncio.wait_for(writer.drain(), 10)
            rest = self.mjpeg_period - (loop.time() - t0)
            if rest > 0:
                await asyncio.sleep(rest)


def default_token() -> str | None:
    return os.environ.get("CRIBWATCH_TOKEN") or None
