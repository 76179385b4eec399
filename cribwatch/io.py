"""Image and audio reading and writing with clear errors, and atomic writes.

Images in code are float32 RGB in [0, 1], shape (H, W, 3); grey images are (H, W).
Every write goes to a temporary file in the destination folder and is renamed into place,
so a reader never sees a half-written file.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from cribwatch.errors import CribwatchError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``.

    The temporary file keeps ``path``'s suffix (or ``suffix``) so writers that pick a format
    from the extension still work. On an exception the temporary file is removed.
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{dest.name}.",
        suffix=suffix if suffix is not None else dest.suffix,
        dir=dest.parent,
    )
    os.close(fd)
    tmp_path = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp creates 0600; give the usual file mode
    try:
        yield tmp_path
        os.replace(tmp_path, dest)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file for writing that replaces ``path`` atomically when closed."""
    with atomic_path(path) as tmp, open(tmp, mode) as fh:
        yield fh


def write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    with atomic_open(path, "w") as fh:
        json.dump(obj, fh, indent=2, sort_keys=False)
        fh.write("\n")


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a JSON file; a missing or malformed file raises CribwatchError."""
    p = Path(path)
    if not p.is_file():
        raise CribwatchError(f"{p}: file not found")
    try:
        return json.loads(p.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CribwatchError(f"{p}: not valid JSON ({exc})") from exc


def _open_image(path: Path) -> Image.Image:
    if not path.exists():
        raise CribwatchError(f"{path}: file not found")
    if not path.is_file():
        raise CribwatchError(f"{path}: not a file")
    try:
        img = Image.open(path)
        img.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise CribwatchError(f"{path}: not a readable image ({exc})") from exc
    return img


def _check_finite(arr: np.ndarray, path: Path) -> np.ndarray:
    if not np.all(np.isfinite(arr)):
        raise CribwatchError(f"{path}: image contains NaN or infinite values")
    return arr


def read_rgb(path: str | os.PathLike[str], *, require_color: bool = False) -> np.ndarray:
    """Read an image as float32 RGB in [0, 1], shape (H, W, 3).

    Alpha is dropped (composited on black). With ``require_color`` a grey image (one channel,
    or three equal channels) raises CribwatchError: a colour reference must carry colour.
    """
    p = Path(path)
    img = _open_image(p)
    if img.mode == "F":
        grey = _check_finite(np.asarray(img, dtype=np.float32), p)
        if require_color:
            raise CribwatchError(f"{p}: grey image where a colour image is needed")
        return np.repeat(np.clip(grey, 0, 1)[..., None], 3, axis=2)
    if require_color and img.mode in ("L", "LA", "I", "I;16", "1"):
        raise CribwatchError(f"{p}: grey image where a colour image is needed")
    arr = np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0
    if require_color and float(np.abs(arr - arr.mean(axis=2, keepdims=True)).max()) < 1.0 / 255:
        raise CribwatchError(f"{p}: grey image where a colour image is needed")
    return _check_finite(arr, p)


def read_gray(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an image as float32 grey in [0, 1], shape (H, W) (ITU-R 601 luma for colour)."""
    p = Path(path)
    img = _open_image(p)
    if img.mode == "F":
        return np.clip(_check_finite(np.asarray(img, dtype=np.float32), p), 0, 1)
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float32) / 65535.0
    else:
        arr = np.asarray(img.convert("L"), dtype=np.float32) / 255.0
    return _check_finite(arr, p)


def to_uint8(img: np.ndarray) -> np.ndarray:
    """Float image in [0, 1] to uint8 with rounding and clipping."""
    if not np.all(np.isfinite(img)):
        raise CribwatchError("image to write contains NaN or infinite values")
    return np.clip(np.rint(np.asarray(img, dtype=np.float64) * 255.0), 0, 255).astype(np.uint8)


def write_image(path: str | os.PathLike[str], img: np.ndarray) -> None:
    """Write a float image in [0, 1] ((H, W) grey or (H, W, 3) RGB) as an 8-bit PNG, atomically."""
    arr = to_uint8(img)
    mode = "L" if arr.ndim == 2 else "RGB"
    with atomic_path(path) as tmp:
        Image.fromarray(arr, mode=mode).save(tmp, format="PNG")
