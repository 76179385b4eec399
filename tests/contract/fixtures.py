"""The shared library of bad (and good) inputs the contract cases point at as ``{fx}/NAME``.

Built once per test session by :func:`build`. Names:

- ``text.pt``/``.onnx``/``.cwq``/``.wav``/``.png``/``.json``/``.npy``: plain text with that
  extension; ``empty.*``: empty files; ``notjson.json``: text that is not JSON;
  ``list.json``: the JSON list ``[]``; ``binary.txt``: non-UTF-8 bytes.
- ``evil.pt``: a pickle whose payload would create ``{fx}/PWNED`` when unpickled.
- ``noise.wav``: 5 s of white noise, 16 kHz; ``sr8k.wav``: the same at 8 kHz;
  ``demo.flac``: the bundled cry sample.
- ``ref.png``/``night.png``: a bundled colour pair's reference and night images;
  ``pairs/``: a pair set of one bundled pair.
- ``bomb.png``: a tiny PNG whose header claims 20000x20000 pixels; ``big.png``: 9500x9500.
- ``tall.png``: 2000x1 pixels.
- ``cryset/``: a minimal valid cry set (``audio/a.wav``, ``labels.tsv``, ``noise_types.tsv``,
  ``manifest.json``); cases copy it and break one thing.
- ``seq.jsonl``: a valid keypoint sequence of 40 frames.
- ``ro/``: a folder on a read-only file system (skipped with the reason where none can be made).
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import struct
import subprocess
import zlib
from importlib import resources
from pathlib import Path

import numpy as np
import soundfile as sf
from PIL import Image

RO_REASON: str | None = None


def _png_with_size(path: Path, width: int, height: int) -> None:
    """A valid 1x1 grey PNG whose IHDR is rewritten to claim ``width`` x ``height``."""
    tmp = path.with_suffix(".tmp.png")
    Image.fromarray(np.zeros((1, 1), np.uint8), "L").save(tmp)
    data = bytearray(tmp.read_bytes())
    tmp.unlink()
    # IHDR: 8-byte signature, 4 length, 4 type, then width, height (big endian), ..., CRC.
    data[16:24] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF
    data[29:33] = struct.pack(">I", crc)
    path.write_bytes(bytes(data))


class _Evil:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


def _make_ro(fx: Path) -> None:
    global RO_REASON
    ro = fx / "ro"
    ro.mkdir()
    if os.geteuid() != 0:
        ro.chmod(0o555)
        return
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(ro)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        RO_REASON = f"no read-only folder can be made here ({proc.stderr.strip()})"


def teardown(fx: Path) -> None:
    """Unmount the read-only folder."""
    if os.geteuid() == 0 and (fx / "ro").exists():
        subprocess.run(["umount", str(fx / "ro")], capture_output=True)


def build(fx: Path) -> Path:
    """Build the fixture library in ``fx`` (an empty folder); return it."""
    for ext in ("pt", "onnx", "cwq", "wav", "png", "json", "npy", "flac", "jsonl", "txt"):
        (fx / f"text.{ext}").write_text("this is plain text, not a model or data file\n")
        (fx / f"empty.{ext}").write_bytes(b"")
    (fx / "notjson.json").write_text("{not json")
    (fx / "list.json").write_text("[]\n")
    (fx / "binary.txt").write_bytes(b"\xff\xfe\x00bad\x80\x81")
    with open(fx / "evil.pt", "wb") as fh:
        pickle.dump(_Evil(str(fx / "PWNED")), fh)
    rng = np.random.default_rng(0)
    noise = (rng.standard_normal(5 * 16000) * 0.1).astype(np.float32)
    sf.write(fx / "noise.wav", noise, 16000, subtype="PCM_16")
    sf.write(fx / "sr8k.wav", noise[::2], 8000, subtype="PCM_16")
    samples = Path(str(resources.files("cribwatch.demo") / "samples"))
    shutil.copy(samples / "cry" / "demo.flac", fx / "demo.flac")
    pair = sorted(p for p in (samples / "color").iterdir() if p.is_dir())[0]
    shutil.copy(pair / "reference.png", fx / "ref.png")
    shutil.copy(pair / "night.png", fx / "night.png")
    (fx / "pairs").mkdir()
    shutil.copytree(pair, fx / "pairs" / pair.name)
    _png_with_size(fx / "bomb.png", 20000, 20000)
    _png_with_size(fx / "big.png", 9500, 9500)
    Image.fromarray(np.full((1, 2000, 3), 128, np.uint8), "RGB").save(fx / "tall.png")
    cs = fx / "cryset"
    (cs / "audio").mkdir(parents=True)
    sf.write(cs / "audio" / "a.wav", noise, 16000, subtype="PCM_16")
    (cs / "labels.tsv").write_text("file\tonset\toffset\tlabel\na.wav\t1.0\t2.5\tcry\n")
    (cs / "noise_types.tsv").write_text("file\tonset\toffset\tnoise_type\na.wav\t0.0\t5.0\tnoise\n")
    (cs / "manifest.json").write_text(
        json.dumps(
            {"format": "cribwatch-cry", "version": 1, "seed": 0, "split": "test", "hours": 0.001}
        )
    )
    kp = [[100.0 + 3 * i, 80.0 + 2 * i, 0.9] for i in range(17)]
    lines = [
        json.dumps(
            {
                "format": "cribwatch-keypoints",
                "version": 1,
                "fps": 15,
                "width": 320,
                "height": 240,
                "layout": "coco17",
            }
        )
    ]
    lines += [json.dumps({"frame": i, "t": i / 15, "kp": kp}) for i in range(40)]
    (fx / "seq.jsonl").write_text("\n".join(lines) + "\n")
    _make_ro(fx)
    return fx
