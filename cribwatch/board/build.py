"""Build and run the C board runtime (``board/``) for the host or for 32-bit little-endian MIPS.

``host`` uses the host C compiler; ``mipsel`` builds a static MIPS32r2 binary with Debian's
``mipsel-linux-gnu-gcc`` (T31/T32 are MIPS32r2 little-endian) and runs it under
``qemu-mipsel-static``; ``sanitize`` is the host build with AddressSanitizer and UBSan.
Every build uses ``-std=c99 -Wall -Wextra -Werror``.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cribwatch.errors import CribwatchError

if TYPE_CHECKING:
    from cribwatch.cry.postprocess import FilterConfig

TARGETS = ("host", "mipsel", "sanitize")
RUNTIME_SOURCES = ("cw_model.c", "cw_frontend.c", "cw_infer.c", "cw_detect.c", "cw_wav.c")
PROGRAM_SOURCES = (*RUNTIME_SOURCES, "cw_cry.c")


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


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def board_dir() -> Path:
    d = repo_root() / "board"
    if not (d / "cw_model.c").is_file():
        raise CribwatchError(f"{d}: board runtime sources not found (run from a source checkout)")
    return d


def build_dir(target: str) -> Path:
    return repo_root() / "build" / "board" / target


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
        raise CribwatchError(f"--target must be one of {', '.join(TARGETS)}, got {target!r}")
    if shutil.which(cc) is None:
        pkg = "gcc-mipsel-linux-gnu" if target == "mipsel" else "gcc"
        raise CribwatchError(f"{cc}: compiler not found (apt-get install {pkg})")
    return [cc, *flags, *extra, "-I", str(board_dir()), "-o", str(out), *map(str, sources), "-lm"]


def _stamp(cmd: list[str], sources: list[Path]) -> str:
    h = hashlib.sha256(" ".join(cmd).encode())
    for s in sorted({*sources, *board_dir().glob("*.h")}):
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
    """Compile ``sources`` (relative to board/) into build/board/<target>/<name>; skipped when
    the same command over the same sources already built it."""
    bd = board_dir()
    srcs = [bd / s for s in sources]
    out_dir = build_dir(target)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / name
    cmd = compile_cmd(target, srcs, out, cfg, extra)
    stamp = out_dir / f".{name}.stamp"
    key = _stamp(cmd, srcs)
    if not force and out.is_file() and stamp.is_file() and stamp.read_text() == key:
        return out
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        msg = (res.stderr or res.stdout).strip().splitlines()
        raise CribwatchError(f"{target} build failed: {msg[0] if msg else 'compiler error'}")
    stamp.write_text(key)
    return out


def runner(target: str, cfg: BuildConfig = BuildConfig()) -> list[str]:
    """Command prefix that runs a binary of ``target`` on this machine."""
    if target != "mipsel":
        return []
    if shutil.which(cfg.qemu) is None:
        raise CribwatchError(f"{cfg.qemu}: not found (apt-get install qemu-user-static)")
    return [cfg.qemu]


def shipped_int_model(int_model: Path | None = None) -> Path:
    """``int_model``, else the shipped integer model cry_int8.cwq."""
    from cribwatch.cry.cli import DEFAULT_WEIGHTS

    return int_model or DEFAULT_WEIGHTS.with_name("cry_int8.cwq")


def default_blob(
    target_dir: Path | None = None,
    int_model: Path | None = None,
    config: Path | None = None,
    detector: FilterConfig | None = None,
) -> Path:
    """Export the integer model (default the shipped one) with ``detector``, else the
    detector config of ``config``, else the one ``cry detect`` would load, into
    ``target_dir`` (default build/board/model/) and return the blob path."""
    from cribwatch.board.export import export_c
    from cribwatch.cry.cli import load_filter_config

    cwq = shipped_int_model(int_model)
    out = target_dir or (repo_root() / "build" / "board" / "model")
    export_c(cwq, out, detector or load_filter_config(config, cwq))
    return out / "cry_model.cwb"
