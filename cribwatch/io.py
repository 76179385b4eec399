"""Image and audio reading and writing with clear errors, and atomic writes.

Images in code are float32 RGB in [0, 1], shape (H, W, 3); grey images are (H, W).
Every write goes to a temporary file in the destination folder and is renamed into place,
so a reader never sees a half-written file.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import logging
import math
import os
import shutil
import sys
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
from PIL import Image, PngImagePlugin, UnidentifiedImageError

from cribwatch.errors import CribwatchError

#: errno values that mean "this path cannot be written here", reported as one error line.
_WRITE_ERRNOS = {
    errno.EROFS,
    errno.EACCES,
    errno.EPERM,
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EISDIR,
    errno.ENOTDIR,
    errno.EEXIST,
    errno.ENAMETOOLONG,
    errno.EXDEV,
    errno.ENOTEMPTY,
}

# Pillow reports some refusals through `logging` as well as by raising; with no handler the
# last-resort handler would print them beside the one error line. The exception is what counts.
logging.getLogger("PIL").addHandler(logging.NullHandler())
logging.getLogger("PIL").propagate = False

#: The marker every cribwatch output carries (a PNG text chunk, a JSON field, a folder's
#: ``.cribwatch`` file): a verb may replace an output that holds it without ``--force``.
OUTPUT_MARK = "written by cribwatch"
#: The marker file inside every folder output (written last, after the manifest).
DIR_MARK = ".cribwatch"

#: Decoded-input caps. Override with the environment variables named here.
MAX_PIXELS_ENV = "CRIBWATCH_MAX_PIXELS"
DEFAULT_MAX_PIXELS = 40_000_000
MAX_AUDIO_SECONDS_ENV = "CRIBWATCH_MAX_AUDIO_SECONDS"
DEFAULT_MAX_AUDIO_SECONDS = 4 * 3600.0


def _os_error(path: Path, exc: OSError) -> CribwatchError:
    """One line naming ``path`` and why the operating system refused it."""
    reason = exc.strerror or exc.__class__.__name__
    return CribwatchError(f"{path}: cannot write ({reason})")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``.

    The temporary file keeps ``path``'s suffix (or ``suffix``) so writers that pick a format
    from the extension still work. On an exception the temporary file is removed. A path that
    cannot be written (read-only file system, a folder in the way, no permission) raises
    CribwatchError naming it, before or after the writer ran; nothing is left behind.
    """
    dest = Path(path)
    if dest.is_dir():
        raise CribwatchError(f"{dest}: cannot write (a folder is in the way)")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{dest.name}.",
            suffix=suffix if suffix is not None else dest.suffix,
            dir=dest.parent,
        )
    except OSError as exc:
        raise _os_error(dest, exc) from exc
    os.close(fd)
    tmp_path = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp creates 0600; give the usual file mode
        yield tmp_path
        os.replace(tmp_path, dest)
    except OSError as exc:
        tmp_path.unlink(missing_ok=True)
        if isinstance(exc, FileNotFoundError | IsADirectoryError | PermissionError) or (
            exc.errno in _WRITE_ERRNOS
        ):
            raise _os_error(dest, exc) from exc
        raise
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
    text = read_text(p)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CribwatchError(f"{p}: not valid JSON ({exc})") from exc


def read_json_object(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a JSON file that must hold an object (a manifest, a config, a card)."""
    obj = read_json(path)
    if not isinstance(obj, dict):
        raise CribwatchError(f"{path}: not a JSON object (found {type(obj).__name__})")
    return obj


def _env_limit(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise CribwatchError(f"{name}={raw!r}: must be a positive number")
    return value


def max_pixels() -> int:
    """Largest decoded image accepted, in pixels (``CRIBWATCH_MAX_PIXELS``, default 40 MP)."""
    return int(_env_limit(MAX_PIXELS_ENV, DEFAULT_MAX_PIXELS))


def max_audio_seconds() -> float:
    """Longest audio file accepted, in seconds (``CRIBWATCH_MAX_AUDIO_SECONDS``, default 4 h)."""
    return _env_limit(MAX_AUDIO_SECONDS_ENV, DEFAULT_MAX_AUDIO_SECONDS)


def check_pixels(path: str | os.PathLike[str], width: int, height: int) -> None:
    """Refuse an image larger than :func:`max_pixels` (from its header, before decoding)."""
    limit = max_pixels()
    if width * height > limit:
        raise CribwatchError(
            f"{path}: image of {width}x{height} pixels is larger than the limit of {limit} "
            f"pixels (set {MAX_PIXELS_ENV} to raise it)"
        )


def check_audio_seconds(path: str | os.PathLike[str], seconds: float) -> None:
    """Refuse an audio file longer than :func:`max_audio_seconds` (live streams have no cap)."""
    limit = max_audio_seconds()
    if seconds > limit:
        raise CribwatchError(
            f"{path}: audio of {seconds:.0f} s is longer than the limit of {limit:.0f} s "
            f"(set {MAX_AUDIO_SECONDS_ENV} to raise it)"
        )


def _open_header(path: Path) -> Image.Image:
    """``Image.open`` (reads the header only) with PIL's own bomb limit off: ours is checked
    next, from the header's size, with the size in the message."""
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        return Image.open(path)
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def image_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    """(width, height) of an image file from its header, checked against the pixel cap."""
    p = Path(path)
    if not p.is_file():
        raise CribwatchError(f"{p}: file not found" if not p.exists() else f"{p}: not a file")
    try:
        with _open_header(p) as img:
            size = (int(img.size[0]), int(img.size[1]))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise CribwatchError(f"{p}: not a readable image ({exc})") from exc
    check_pixels(p, *size)
    return size


def _open_image(path: Path) -> Image.Image:
    if not path.exists():
        raise CribwatchError(f"{path}: file not found")
    if not path.is_file():
        raise CribwatchError(f"{path}: not a file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = _open_header(path)
            check_pixels(path, *img.size)
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
    try:
        arr = to_uint8(img)
    except CribwatchError as exc:
        raise CribwatchError(f"{path}: {exc.message}") from exc
    mode = "L" if arr.ndim == 2 else "RGB"
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", OUTPUT_MARK)
    with atomic_path(path) as tmp:
        Image.fromarray(arr, mode=mode).save(tmp, format="PNG", pnginfo=info)


# ----------------------------------------------------------------------------- outputs


def written_by_cribwatch(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is an output cribwatch wrote (and a verb may replace without --force).

    A folder holds the ``.cribwatch`` marker file or a manifest whose ``format`` starts with
    ``cribwatch``; a file carries :data:`OUTPUT_MARK` (or ``cribwatch``'s name in a format
    field) in its first or last 64 KiB: a PNG text chunk, a JSON field, ONNX metadata.
    """
    p = Path(path)
    if p.is_dir():
        if (p / DIR_MARK).is_file():
            return True
        manifest = p / "manifest.json"
        try:
            fmt = json.loads(manifest.read_text()).get("format", "")
        except (OSError, ValueError, AttributeError):
            return False
        return isinstance(fmt, str) and fmt.startswith("cribwatch")
    try:
        size = p.stat().st_size
        with open(p, "rb") as fh:
            head = fh.read(65536)
            fh.seek(max(0, size - 65536))
            tail = fh.read(65536)
    except OSError:
        return False
    return any(m in head or m in tail for m in (OUTPUT_MARK.encode(), b'"cribwatch-'))


def _protected_folders() -> list[Path]:
    cwd = Path.cwd().resolve()
    return [cwd, *cwd.parents, Path.home().resolve(), Path("/")]


def guard_output(
    path: str | os.PathLike[str],
    *,
    option: str = "--out",
    inputs: dict[str, str | os.PathLike[str] | None] | None = None,
    force: bool = False,
) -> Path:
    """Check that ``path`` may be written, before any work: the one output rule of every verb.

    Refused with one error line naming ``option``: an output that is one of the command's
    ``inputs`` (option name -> path; even with ``force``), the current folder, one of its
    parents, home or root (even with ``force``), and anything that exists and was not written
    by cribwatch, unless ``force``. Returns the path.
    """
    out = Path(path)
    resolved = out.resolve()
    for name, given in (inputs or {}).items():
        if given is None or str(given) == "-":
            continue
        src = Path(given)
        if src.exists() and (resolved == src.resolve() or _same_file(out, src)):
            raise CribwatchError(f"{option} {out}: is the {name} input; choose another path")
        if (
            src.exists()
            and out.exists()
            and out.is_dir()
            and src.resolve().is_relative_to(resolved)
        ):
            raise CribwatchError(f"{option} {out}: holds the {name} input; choose another path")
    if resolved in _protected_folders():
        raise CribwatchError(
            f"{option} {out}: refusing to write over the current folder, a parent of it, "
            "home or root"
        )
    if out.exists() and not force and not written_by_cribwatch(out):
        if out.is_dir() and not any(out.iterdir()):
            return out
        raise CribwatchError(
            f"{option} {out}: exists and was not written by cribwatch (use --force to replace it)"
        )
    return out


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and os.path.samefile(a, b)
    except OSError:
        return False


_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EPERM, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _restore_interrupted_swap(dest: Path) -> None:
    """Where a kill fell between the two renames of the fallback swap, put the old folder back."""
    if dest.exists():
        return
    olds = sorted(dest.parent.glob(f".{dest.name}.old-*"), key=lambda q: q.stat().st_mtime)
    if olds and olds[-1].is_dir():
        os.rename(olds[-1], dest)


@contextlib.contextmanager
def atomic_dir(
    path: str | os.PathLike[str], *, force: bool = False, option: str = "--out"
) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``path``; on success swap it in as ``path``.

    Writers put every file in the yielded folder (a manifest last); the ``.cribwatch`` marker is
    added after the body returns, then the folder replaces ``path`` whole: in one step on Linux
    (``renameat2`` with ``RENAME_EXCHANGE``), elsewhere by two renames, an interrupted pair of
    which the next writer undoes. A reader or a kill at any point sees the old folder or the
    new one, never a mix. An existing ``path``
    must pass :func:`guard_output`. On an exception the temporary folder is removed.
    """
    dest = Path(path)
    if dest.exists() and not dest.is_dir():
        raise CribwatchError(f"{option} {dest}: cannot write (a file is in the way)")
    _restore_interrupted_swap(dest)
    guard_output(dest, option=option, force=force)
    token = uuid.uuid4().hex[:8]
    tmp = dest.parent / f".{dest.name}.partial-{token}"
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
    except OSError as exc:
        raise _os_error(dest, exc) from exc
    try:
        yield tmp
        (tmp / DIR_MARK).write_text(json.dumps({"written_by": OUTPUT_MARK}) + "\n")
        if not dest.exists():
            os.rename(tmp, dest)
        elif _exchange(tmp, dest):
            shutil.rmtree(tmp, ignore_errors=True)  # now the old folder
        else:
            old = dest.parent / f".{dest.name}.old-{token}"
            os.rename(dest, old)
            os.rename(tmp, dest)
            shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise _os_error(dest, exc) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def read_text(path: str | os.PathLike[str]) -> str:
    """Read a UTF-8 text file; missing, unreadable or non-UTF-8 files raise CribwatchError."""
    p = Path(path)
    if not p.is_file():
        raise CribwatchError(f"{p}: file not found" if not p.exists() else f"{p}: not a file")
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CribwatchError(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise CribwatchError(f"{p}: cannot read ({exc.strerror})") from exc
