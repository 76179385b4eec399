"""``cribwatch board bench``: instructions per second of audio, memory and code size.

Instruction counts come from running the workloads of ``cw_cry --bench`` (synthetic audio, see
cribwatch/board/c/cw_cry.c) with a model blob given as a file (:func:`bench_blob`; the cry
detector's front desk for it is :func:`cribwatch.cry.board.bench`):

- mipsel: under ``qemu-mipsel-static -d in_asm,exec,nochain``, the log streamed through a FIFO
  into ``tools/qcount`` (each translated block's guest instruction count from ``in_asm``,
  times its executions from ``exec``). Debian's static qemu-user cannot load TCG plugins, so
  this is the counting method. Every MIPS32 instruction of the guest is counted, including
  branch delay slots and libm calls.
- host: ``valgrind --tool=callgrind`` (x86-64 instructions, for comparison only).

Each workload runs for ``seconds_a`` and ``seconds_b`` seconds of audio and the difference is
divided by ``seconds_b - seconds_a``: start-up (model validation, table set-up) cancels out and
what remains is the steady state (exactly two model windows per second). ``fe`` runs the front
end alone, ``model`` two inferences per second, ``full`` the whole detector; ``none`` the
synthetic audio generator alone, subtracted from ``fe`` and ``full``. Post-processing (pitch
analysis, level, filter chain, bookkeeping) is ``full - fe - model``.

The pitch analysis is lazy (docs/BOARD.md): it runs only for windows whose score reaches the
low threshold and pass the loudness gate. The synthetic audio scores below it, so ``full`` is
the cost of audio without crying; ``flagged`` is the whole detector with every window's pitch
frames analysed (as when every window is flagged: continuous crying), and ``flagged_extra``
(``flagged - full``) the cost of a second of flagged audio on top (the pitch analysis).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cribwatch.board.blob import check_container
from cribwatch.board.build import (
    RUNTIME_SOURCES,
    BuildConfig,
    build_dir,
    build_program,
    compile_cmd,
    have_cross,
    source_dir,
)
from cribwatch.board.proc import child, run_child
from cribwatch.errors import CribwatchError
from cribwatch.progress import Progress, report

PHASES = ("none", "fe", "model", "full", "flagged")
MAX_SECONDS = 600.0
"""Longest workload (s of synthetic audio) a bench takes; ``cw_cry --seconds`` caps at 86400."""


@dataclass(frozen=True)
class BenchConfig:
    """Workload lengths and targets of the board benchmark."""

    seconds_a: float = 1.0
    """Shorter run (s of audio)."""
    seconds_b: float = 2.0
    """Longer run (s of audio); the steady state is the difference."""
    target_mips_per_s: float = 20e6
    """Budget: MIPS32 instructions per second of audio at the shipped 0.5 s hop, with and
    without every window flagged (issue 27: 2% of a 1 GHz core; was 50e6)."""
    target_ram_bytes: int = 256 * 1024
    """Budget: RAM for model plus buffers."""

    def __post_init__(self) -> None:
        for name, value in (("--seconds-a", self.seconds_a), ("--seconds-b", self.seconds_b)):
            if not (math.isfinite(value) and 0 < value <= MAX_SECONDS):
                raise CribwatchError(
                    f"{name}: must be a finite number > 0 and <= {MAX_SECONDS:g}, not {value!r}"
                )
        if self.seconds_b <= self.seconds_a:
            raise CribwatchError("--seconds-b: must be larger than --seconds-a")


RUN_TIMEOUT_S = 3600.0
"""Longest one counted run may take before it is killed."""


def qemu_count(exe: Path, args: list[str], qcount: Path, cfg: BuildConfig = BuildConfig()) -> int:
    """Guest instructions of one run of ``exe`` under qemu-mipsel."""
    with tempfile.TemporaryDirectory(prefix="cw-qcount-") as td:
        fifo = Path(td) / "log"
        os.mkfifo(fifo)
        with child(
            ["sh", "-c", 'exec "$0" < "$1"', str(qcount), str(fifo)], stdout=subprocess.PIPE
        ) as counter:
            run = run_child(
                [cfg.qemu, "-d", "in_asm,exec,nochain", "-D", str(fifo), str(exe), *args],
                timeout=RUN_TIMEOUT_S,
            )
            if run.returncode != 0:  # leaving by an exception kills the counter too
                raise CribwatchError(f"qemu run failed: {run.stderr.decode().strip()[:200]}")
            out, _ = counter.communicate(timeout=RUN_TIMEOUT_S)
    res = json.loads(out)
    if res["unknown_blocks"]:
        raise CribwatchError(f"qcount: {res['unknown_blocks']} executed blocks without size")
    return int(res["instructions"])


def callgrind_count(exe: Path, args: list[str]) -> int:
    """x86-64 instructions of one run of ``exe`` under callgrind."""
    if shutil.which("valgrind") is None:
        raise CribwatchError("valgrind: not found (apt-get install valgrind)")
    with tempfile.TemporaryDirectory(prefix="cw-cg-") as td:
        out = Path(td) / "cg.out"
        res = run_child(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", str(exe), *args],
            timeout=RUN_TIMEOUT_S,
        )
        if res.returncode != 0:
            raise CribwatchError(f"callgrind run failed: {res.stderr.decode()[-200:]}")
        m = re.search(r"^(?:summary|totals):\s*(\d+)", out.read_text(), re.M)
    if not m:
        raise CribwatchError("callgrind: no instruction total in its output")
    return int(m.group(1))


def heap_usage(exe: Path, args: list[str]) -> dict[str, int]:
    """memcheck's heap summary of one run: allocations and bytes."""
    if shutil.which("valgrind") is None:
        raise CribwatchError("valgrind: not found (apt-get install valgrind)")
    res = run_child(["valgrind", "--tool=memcheck", str(exe), *args], timeout=RUN_TIMEOUT_S)
    txt = res.stderr.decode()
    m = re.search(r"total heap usage: ([\d,]+) allocs, ([\d,]+) frees, ([\d,]+) bytes", txt)
    if not m:
        raise CribwatchError("memcheck: no heap summary")
    a, f, b = (int(x.replace(",", "")) for x in m.groups())
    return {"allocs": a, "frees": f, "bytes": b}


def per_phase(count: dict[tuple[str, float], int], a: float, b: float) -> dict[str, float]:
    d = {p: (count[(p, b)] - count[(p, a)]) / (b - a) for p in PHASES}
    fe = d["fe"] - d["none"]
    full = d["full"] - d["none"]
    flagged = d["flagged"] - d["none"]
    return {
        "frontend": round(fe),
        "model": round(d["model"]),
        "postprocess": round(full - fe - d["model"]),
        "total": round(full),
        "flagged_total": round(flagged),
        "flagged_extra": round(flagged - full),
    }


def code_size(target: str, cfg: BuildConfig = BuildConfig()) -> dict[str, object]:
    """text/data/bss of each runtime object (without cw_cry.c and libc)."""
    size_tool = "mipsel-linux-gnu-size" if target == "mipsel" else "size"
    out_dir = build_dir(target) / "obj"
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = {}
    stack: dict[str, int] = {}
    for src in RUNTIME_SOURCES:
        obj = out_dir / src.replace(".c", ".o")
        cmd = compile_cmd(target, [source_dir() / src], obj, cfg, ("-c", "-fstack-usage"))
        cmd = [c for c in cmd if c != "-lm" and c != "-static"]
        res = run_child(cmd, cwd=out_dir)
        if res.returncode != 0:
            raise CribwatchError(f"compile {src}: {res.stderr.decode().strip()[:200]}")
        sz = run_child([size_tool, str(obj)]).stdout.decode()
        text, data, bss = (int(x) for x in sz.splitlines()[1].split()[:3])
        rows[src] = {"text": text, "data": data, "bss": bss}
        su = obj.with_suffix(".su")
        if su.is_file():
            for line in su.read_text().splitlines():
                parts = line.split("\t")
                if len(parts) >= 2:
                    stack[parts[0].rsplit(":", 1)[-1]] = int(parts[1])
    chains = [
        ["cw_det_push", "do_window", "cw_infer", "conv_general", "conv_at", "cw_requant"],
        ["cw_det_push", "pitch_core"],
        ["cw_det_push", "do_window", "voiced_at", "pitch_core"],
        ["cw_det_push", "cw_fe_push", "compute_frame"],
    ]
    worst = max(sum(stack.get(f, 0) for f in ch) for ch in chains)
    return {
        "objects": rows,
        "text_bytes": sum(int(r["text"]) for r in rows.values()),
        "stack_bytes_deepest_chain": worst,
    }


def bench_blob(
    blob: Path,
    hop_s: float,
    mipsel: bool = True,
    host: bool = True,
    cfg: BenchConfig = BenchConfig(),
    progress: Progress | None = None,
) -> dict[str, object]:
    """Bench ``cw_cry`` with the model blob ``blob`` (its detector's hop ``hop_s`` s): RAM,
    instructions per second of audio under qemu-mipsel (``mipsel``) and callgrind (``host``),
    code size. ``progress(done, total)`` after each counted run."""
    if not Path(blob).is_file():
        raise CribwatchError(f"{blob}: model blob not found")
    check_container(Path(blob).read_bytes(), str(blob))
    bcfg = BuildConfig()
    a, b = cfg.seconds_a, cfg.seconds_b
    res: dict[str, object] = {"seconds": [a, b], "model_blob_bytes": blob.stat().st_size}
    res["hop_s"] = hop_s  # windows a second: 1 / hop_s
    do_mipsel = mipsel and have_cross(bcfg)
    total = 2 * len(PHASES) * (int(do_mipsel) + int(host)) + 2 * int(host)
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        report(progress, done, total)

    def args(p: str, s: float) -> list[str]:
        return ["--model", str(blob), "--bench", p, "--seconds", f"{s:g}"]

    hexe = build_program("host")
    run = run_child([str(hexe), *args("none", 0)], timeout=RUN_TIMEOUT_S)
    if run.returncode != 0:
        raise CribwatchError(f"cw_cry --bench failed: {run.stderr.decode().strip()[:200]}")
    info = json.loads(run.stdout)
    det, model = int(info["det_bytes"]), int(info["model_bytes"])
    res["ram"] = {
        "detector_state_bytes": det,
        "model_struct_bytes": model,
        "model_blob_bytes": blob.stat().st_size,
        "total_blob_in_flash": det + model,
        "total_blob_in_ram": det + model + blob.stat().st_size,
        "target_bytes": cfg.target_ram_bytes,
    }
    if mipsel:
        if not do_mipsel:
            res["mipsel"] = "skipped: mipsel-linux-gnu-gcc or qemu-mipsel-static missing"
        else:
            mexe = build_program("mipsel")
            qc = build_program("host", "qcount", ("tools/qcount.c",))
            counts = {}
            for p in PHASES:
                for s in (a, b):
                    counts[(p, s)] = qemu_count(mexe, args(p, s), qc, bcfg)
                    step()
            mips = per_phase(counts, a, b)
            res["mipsel"] = {
                "instructions_per_s_audio": mips,
                "meets_target": max(mips["total"], mips.get("flagged_total", 0))
                <= cfg.target_mips_per_s,
                "target": cfg.target_mips_per_s,
                "binary_bytes": mexe.stat().st_size,
                "code": code_size("mipsel", bcfg),
                "method": "qemu-mipsel-static -d in_asm,exec,nochain | tools/qcount",
            }
    if host:
        counts = {}
        for p in PHASES:
            for s in (a, b):
                counts[(p, s)] = callgrind_count(hexe, args(p, s))
                step()
        h_a = heap_usage(hexe, args("full", a))
        step()
        h_b = heap_usage(hexe, args("full", b))
        step()
        res["host"] = {
            "instructions_per_s_audio": per_phase(counts, a, b),
            "binary_bytes": hexe.stat().st_size,
            "code": code_size("host", bcfg),
            "heap": {f"{a:g}s": h_a, f"{b:g}s": h_b},
            "steady_state_allocations": h_b["allocs"] - h_a["allocs"],
            "method": "valgrind --tool=callgrind (x86-64)",
        }
    return res
