"""``--mqtt HOST:PORT``: records published to an MQTT broker with Home Assistant's conventions.

A small MQTT 3.1.1 publisher on the standard library (QoS 0, no dependency):

* availability: ``cribwatch/<camera>/status`` is ``online`` (retained) while the monitor runs,
  ``offline`` when it stops; the broker publishes ``offline`` itself if the monitor dies (the
  connection's last will);
* discovery (retained, under ``homeassistant/``): binary sensors ``cry`` (ON at a cry alert,
  OFF at its end), ``rollover`` (ON at a roll-over alert, OFF when the baby is back on the back
  or side) and ``night``, and a sensor ``posture``, all tied to one device;
* states: ``cribwatch/<camera>/cry``, ``.../rollover``, ``.../night`` (``ON``/``OFF``),
  ``.../posture``; every record as JSON (schema of :mod:`cribwatch.monitor.schema`) on
  ``cribwatch/<camera>/alert``.

The connection is made on a thread of its own and remade with backoff; while the broker is away
messages wait in a bounded queue (the oldest dropped first, and counted; the events file keeps
everything).
"""

from __future__ import annotations

import collections
import json
import select
import socket
import struct
import threading
import time
from typing import Any

from cribwatch.errors import CribwatchError
from cribwatch.monitor.schema import Record

ROLL_ON = ("to_prone", "prone_too_long", "face_not_visible")
ROLL_OFF = ("to_supine", "to_side")


def parse_hostport(
    value: str, option: str, default_port: int, *, any_port: bool = False
) -> tuple[str, int]:
    """``HOST:PORT`` (or ``HOST``, or ``[v6]:PORT``) -> (host, port), refused naming ``option``;
    ``any_port``: port 0 (any free port) is allowed."""
    v = value.strip()
    if not v:
        raise CribwatchError(f"{option}: empty address (want HOST:PORT)")
    if v.startswith("["):
        host, _, rest = v[1:].partition("]")
        port_s = rest[1:] if rest.startswith(":") else ""
    elif v.count(":") == 1:
        host, port_s = v.split(":")
    else:
        host, port_s = v, ""
    if not host:
        raise CribwatchError(f"{option} {value!r}: no host (want HOST:PORT)")
    if port_s == "":
        return host, default_port
    low = 0 if any_port else 1
    if not port_s.isdigit() or not low <= int(port_s) < 65536:
        raise CribwatchError(f"{option} {value!r}: port must be a number in {low}..65535")
    return host, int(port_s)


def _str(s: str) -> bytes:
    b = s.encode("utf-8")
    return struct.pack("!H", len(b)) + b


def _packet(ptype: int, body: bytes) -> bytes:
    n = len(body)
    out = bytearray([ptype])
    while True:
        d = n % 128
        n //= 128
        out.append(d | (0x80 if n else 0))
        if not n:
            break
    return bytes(out) + body


def connect_packet(client_id: str, keepalive: int, will: tuple[str, bytes] | None) -> bytes:
    flags = 0x02  # clean session
    payload = _str(client_id)
    if will is not None:
        flags |= 0x04 | 0x20  # will, will retain, QoS 0
        payload += _str(will[0]) + struct.pack("!H", len(will[1])) + will[1]
    body = _str("MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive) + payload
    return _packet(0x10, body)


def publish_packet(topic: str, payload: bytes, retain: bool = False) -> bytes:
    return _packet(0x30 | (1 if retain else 0), _str(topic) + payload)


class MqttPublisher:
    """Publishes records (a monitor sink). See the module doc."""

    def __init__(self, host: str, port: int, camera: str = "camera", *,
                 discovery_prefix: str = "homeassistant", keepalive: int = 30,
                 queue_max: int = 1000, connect_timeout_s: float = 5.0) -> None:  # fmt: skip
        self.host, self.port, self.camera = host, port, camera
        self.base = f"cribwatch/{camera}"
        self.availability = f"{self.base}/status"
        self.prefix = discovery_prefix
        self.keepalive = keepalive
        self.timeout = connect_timeout_s
        self._q: collections.deque[tuple[str, bytes, bool]] = collections.deque(maxlen=queue_max)
        self._cond = threading.Condition()
        self._closing = False
        self.connected = False
        self.published = 0
        self.dropped = 0
        self.last_error = ""
        self._thread = threading.Thread(target=self._run, name="mqtt", daemon=True)
        self._thread.start()

    @property
    def pending(self) -> int:
        """Messages queued and not yet sent to the broker."""
        with self._cond:
            return len(self._q)

    # ------------------------------------------------------------------ messages

    def discovery(self) -> list[tuple[str, bytes, bool]]:
        dev = {"identifiers": [f"cribwatch_{self.camera}"], "name": f"cribwatch {self.camera}",
               "manufacturer": "cribwatch", "model": "cribwatch monitor"}  # fmt: skip
        out = []
        for comp, key, extra in (
            ("binary_sensor", "cry", {"device_class": "sound"}),
            ("binary_sensor", "rollover", {"device_class": "problem"}),
            ("binary_sensor", "night", {}),
            ("sensor", "posture", {}),
        ):
            uid = f"cribwatch_{self.camera}_{key}"
            cfg: dict[str, Any] = {
                "name": key, "unique_id": uid, "object_id": uid,
                "state_topic": f"{self.base}/{key}",
                "availability_topic": self.availability,
                "payload_available": "online", "payload_not_available": "offline",
                "device": dev, **extra,
            }  # fmt: skip
            if comp == "binary_sensor":
                cfg.setdefault("payload_on", "ON")
                cfg.setdefault("payload_off", "OFF")
            topic = f"{self.prefix}/{comp}/cribwatch_{self.camera}/{key}/config"
            out.append((topic, json.dumps(cfg).encode(), True))
        return out

    def _put(self, topic: str, payload: bytes | str, retain: bool = False) -> None:
        data = payload.encode() if isinstance(payload, str) else payload
        with self._cond:
            if len(self._q) == self._q.maxlen:
                self.dropped += 1
            self._q.append((topic, data, retain))
            self._cond.notify()

    def write(self, rec: Record) -> None:
        self._put(f"{self.base}/alert", rec.to_json())
        if rec.type == "cry":
            self._put(f"{self.base}/cry", "ON", True)
        elif rec.type == "cry_end":
            self._put(f"{self.base}/cry", "OFF", True)
        elif rec.type in ROLL_ON:
            self._put(f"{self.base}/rollover", "ON", True)
        elif rec.type in ROLL_OFF:
            self._put(f"{self.base}/rollover", "OFF", True)
            self._put(f"{self.base}/posture", rec.type[3:], True)
        elif rec.type in ("day", "night"):
            self._put(f"{self.base}/night", "ON" if rec.type == "night" else "OFF", True)
        if rec.type == "to_prone":
            self._put(f"{self.base}/posture", "prone", True)

    def close(self, timeout: float = 5.0) -> None:
        """Send what is queued, publish ``offline``, disconnect."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join(timeout)

    # ------------------------------------------------------------------ connection

    def _connect(self) -> socket.socket:
        s = socket.create_connection((self.host, self.port), timeout=self.timeout)
        s.sendall(connect_packet(f"cribwatch-{self.camera}-{int(time.time())}", self.keepalive,
                                 (self.availability, b"offline")))  # fmt: skip
        head = _recv_exact(s, 4)
        if head[0] != 0x20 or head[3] != 0:
            s.close()
            raise OSError(f"broker refused the connection (code {head[3]})")
        s.sendall(b"".join(publish_packet(*m) for m in self.discovery()))
        s.sendall(publish_packet(self.availability, b"online", True))
        return s

    def _run(self) -> None:
        delay = 0.5
        while True:
            try:
                sock = self._connect()
            except OSError as exc:
                self.last_error = str(exc)
                with self._cond:
                    if self._closing:
                        return
                    self._cond.wait(delay)
                delay = min(delay * 2, 10.0)
                continue
            self.connected = True
            delay = 0.5
            try:
                if self._serve(sock):
                    return
            except OSError as exc:
                self.last_error = str(exc)
            finally:
                self.connected = False
                sock.close()

    def _serve(self, sock: socket.socket) -> bool:
        """Send queued messages and pings until closing (True) or the socket fails."""
        last_sent = time.monotonic()
        while True:
            with self._cond:
                if not self._q and not self._closing:
                    self._cond.wait(min(1.0, self.keepalive / 2))
                batch = list(self._q)
                self._q.clear()
                closing = self._closing
            if batch:
                try:
                    sock.sendall(b"".join(publish_packet(*m) for m in batch))
                except OSError:
                    with self._cond:
                        self._q.extendleft(reversed(batch))
                    raise
                self.published += len(batch)
                last_sent = time.monotonic()
            if closing:
                sock.sendall(publish_packet(self.availability, b"offline", True))
                sock.sendall(b"\xe0\x00")  # DISCONNECT
                return True
            if time.monotonic() - last_sent > self.keepalive / 2:
                sock.sendall(b"\xc0\x00")  # PINGREQ
                last_sent = time.monotonic()
            r, _, _ = select.select([sock], [], [], 0)
            if r and not sock.recv(4096):
                raise OSError("broker closed the connection")


def _recv_exact(s: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise OSError("broker closed the connection")
        buf += chunk
    return buf
