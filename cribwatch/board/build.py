"""Build and run the C board runtime for the host or for 32-bit little-endian MIPS.

The C sources ship inside the package (``cribwatch/board/c/``, found through
:mod:`importlib.resources`, so a wheel install builds them as a checkout does). Builds go to
``build/board/<target>/`` of a source checkout, else to ``$XDG_CACHE_HOME/cribwatch/board``
(``~/.cache``); ``CRIBWATCH_BOARD_BUILD`` overrides both.

``host`` uses the host C compiler; ``mipsel`` builds a static MIPS32r2 binary with Debian's
``mipsel-linux-gnu-gcc`` (T31/T32 are MIPS32r2 little-endian) and runs it under
``qemu-mipsel-static``; ``sanitize`` is the host build with AddressSanitizer and UBSan.
Every build uses ``-std=c99 -Wall -Wextra -Werror``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from cribwatch.board.proc import run_child
from cribwatch.errors import CribwatchError

TARGETS = ("host", "mipsel", "sanitize")
RUNTIME_SOURCES = ("cw_model.c", "cw_frontend.c", "cw_infer.c", "cw_detect.c", "cw_wav.c")
PROGRAM_SOURCES = (*RUNTIME_SOURCES, "cw_cry.c")
TEST_SOURCES = ("tests/cw_test.c", *RUNTIME_SOURCES)
"""The C test driver ``cw_test`` (the runtime's unit checks against numpy twins)."""


@dataclass(frozen=True)
class BuildConfig:
    """Compilers and flags of the board builds."""

    host_cc: str = "gcc"
    """Host C compiler."""
    mipsel_cc: str = "mipsel-linux-gnu-gcc"
    """Cross compiler (Debian package gcc-mipsel-linux-gnu)."""
    qemu: str = "qemu-mipsel-static"
    """User-mode emulator of the mipsel build (Debian package qemu-user-static)."""
    warnings: tuple[str, ...] = ("-std=c99", "-Wall", "-Wextra", "-Werror")
    """Language and warning flags of every build."""
    opt: str = "-O2"
    """Optimisation of the host and mipsel builds."""
    mipsel_arch: tuple[str, ...] = ("-march=mips32r2", "-static")
    """Target flags of the mipsel build."""
    sanitize: tuple[str, ...] = (
        "-O1",
        "-g",
        "-fsanitize=address,undefined",
        "-fno-sanitize-recover=all",
        "-fno-omit-frame-pointer",
    )
    """Flags of the sanitizer build."""


BUILD_ENV = "CRIBWATCH_BOARD_BUILD"
"""Environment variable naming the folder the board builds go to."""


def source_dir() -> Path:
    """The C sources of the board runtime (package data ``cribwatch/board/c``)."""
    d = Path(str(resources.files("cribwatch.board") / "c"))
    if not (d / "cw_model.c").is_file():
        raise CribwatchError(f"{d}: board runtime sources not found (a broken install?)")
    return d


def board_dir() -> Path:
    """Alias of :func:`source_dir` (the folder ``-I`` points at)."""
    return source_dir()


def _checkout_root() -> Path | None:
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() and (root / "cribwatch").is_dir() else None


def build_root() -> Path:
    """Where builds go: ``$CRIBWATCH_BOARD_BUILD``, else a checkout's ``build/board``, else
    ``$XDG_CACHE_HOME/cribwatch/board``."""
    env = os.environ.get(BUILD_ENV)
    if env:
        return Path(env)
    root = _checkout_root()
    if root is not None:
        return root / "build" / "board"
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "cribwatch" / "board"


def build_dir(target: str) -> Path:
    return build_root() / target


def have_cross(cfg: BuildConfig = BuildConfig()) -> bool:
    """True when the mipsel compiler and qemu are installed."""
    return shutil.which(cfg.mipsel_cc) is not None and shutil.which(cfg.qemu) is not None


def compile_cmd(
    target: str,
    sources: list[Path],
    out: Path,
    cfg: BuildConfig = BuildConfig(),
    extra: tuple[str, ...] = (),
) -> list[str]:
    if target == "host":
        cc, flags = cfg.host_cc, [*cfg.warnings, cfg.opt]
    elif target == "mipsel":
        cc, flags = cfg.mipsel_cc, [*cfg.warnings, cfg.opt, *cfg.mipsel_arch]
    elif target == "sanitize":
        cc, flags = cfg.host_cc, [*cfg.warnings, *cfg.sanitize]
    else:
        raise CribwatchError(f"--target: unknown value {target!r} (one of {', '.join(TARGETS)})")
    if shutil.which(cc) is None:
        pkg = "gcc-mipsel-linux-gnu" if target == "mipsel" else "gcc"
        raise CribwatchError(f"{cc}: compiler not found (apt-get install {pkg})")
    return [cc, *flags, *extra, "-I", str(source_dir()), "-o", str(out), *map(str, sources), "-lm"]


def _stamp(cmd: list[str], sources: list[Path]) -> str:
    h = hashlib.sha256(" ".join(cmd).encode())
    for s in sorted({*sources, *source_dir().glob("*.h")}):
        h.update(s.read_bytes())
    return h.hexdigest()


def build_program(
    target: str,
    name: str = "cw_cry",
    sources: tuple[str, ...] = PROGRAM_SOURCES,
    cfg: BuildConfig = BuildConfig(),
    extra: tuple[str, ...] = (),
    force: bool = False,
) -> Path:
    """Compile ``sources`` (relative to :func:`source_dir`) into ``build_dir(target)/name``;
    skipped when the same command over the same sources already built it. The binary is
    compiled to a temporary name and renamed, so a kill never leaves a half-written one."""
    bd = source_dir()
    srcs = [bd / s for s in sources]
    out_dir = build_dir(target)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CribwatchError(
            f"{out_dir}: cannot write the build ({exc.strerror}; set {BUILD_ENV})"
        ) from exc
    out = out_dir / name
    stamp = out_dir / f".{name}.stamp"
    key = _stamp(compile_cmd(target, srcs, out, cfg, extra), srcs)
    if not force and out.is_file() and stamp.is_file() and stamp.read_text() == key:
        return out
    tmp = out_dir / f".{name}.{os.getpid()}.tmp"
    try:
        res = run_child(compile_cmd(target, srcs, tmp, cfg, extra))
        if res.returncode != 0:
            msg = (res.stderr or res.stdout).decode(errors="replace").strip().splitlines()
            raise CribwatchError(f"{target} build failed: {msg[0] if msg else 'compiler error'}")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    stamp.write_text(key)
    return out


def runner(target: str, cfg: BuildConfig = BuildConfig()) -> list[str]:
    """Command prefix that runs a binary of ``target`` on this machine."""
    if target != "mipsel":
        return []
    if shutil.which(cfg.qemu) is None:
        raise CribwatchError(f"{cfg.qemu}: not found (apt-get install qemu-user-static)")
    return [cfg.qemu]
