"""A real RTSP server for the monitor's RTSP test: GStreamer's gst-rtsp-server (Debian's
gir1.2-gst-rtsp-server-1.0, python3-gst-1.0, gstreamer1.0-plugins-good/-bad) serving an
MPEG-TS file (H.264 + AAC) at ``rtsp://127.0.0.1:PORT/cam`` at its own pace.

Run with the system Python that has PyGObject (``/usr/bin/python3``), not the project's venv:
``python3 rtsp_server.py FILE PORT``. Prints ``ready`` once listening; stops on SIGTERM.
"""

import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main() -> None:
    path, port = sys.argv[1], sys.argv[2]
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        f'( filesrc location="{path}" ! tsdemux name=d '
        "d. ! queue ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 "
        "d. ! queue ! aacparse ! rtpmp4gpay name=pay1 pt=97 )"
    )
    factory.set_shared(False)  # each client gets the file from its start
    server.get_mount_points().add_factory("/cam", factory)
    if server.attach(None) == 0:
        print("error: cannot listen", flush=True)
        sys.exit(1)
    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
    print("ready", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
