"""``cribwatch board bench``: instructions per second of audio, memory and code size.

Instruction counts come from running the workloads of ``cw_cry --bench`` (synthetic audio, see
board/cw_cry.c):

- mipsel: under ``qemu-mipsel-static -d in_asm,exec,nochain``, the log streamed through a FIFO
  into ``board/tools/qcount`` (each translated block's guest instruction count from ``in_asm``,
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
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cribwatch.board.build import (
    RUNTIME_SOURCES,
    BuildConfig,
    board_dir,
    build_dir,
    build_program,
    compile_cmd,
    default_blob,
    have_cross,
    shipped_int_model,
)
from cribwatch.errors import CribwatchError

PHASES = ("none", "fe", "model", "full")


@dataclass(frozen=True)
class BenchConfig:
    """Workload lengths and targets of the board benchmark."""

    seconds_a: float = 1.0
    """Shorter run (s of audio)."""
    seconds_b: float = 2.0
    """Longer run (s of audio); the steady state is the difference."""
    target_mips_per_s: float = 50e6
    """Budget: MIPS32 instructions per second of audio (5% of a 1 GHz core)."""
    target_ram_bytes: int = 256 * 1024
    """Budget: RAM for model plus buffers."""


def qemu_count(exe: Path, args: list[str], qcount: Path, cfg: BuildConfig = BuildConfig()) -> int:
    """Guest instructions of one run of ``exe`` under qemu-mipsel."""
    with tempfile.TemporaryDirectory(prefix="cw-qcount-") as td:
        fifo = Path(td) / "log"
        os.mkfifo(fifo)
        with subprocess.Popen(
            f"exec '{qcount}' < '{fifo}'", shell=True, stdout=subprocess.PIPE
        ) as counter:
            run = subprocess.run(
                [cfg.qemu, "-d", "in_asm,exec,nochain", "-D", str(fifo), str(exe), *args],
                capture_output=True,
            )
            out, _ = counter.communicate()
        if run.returncode != 0:
            raise CribwatchError(f"qemu run failed: {run.stderr.decode().strip()[:200]}")
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
        res = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", str(exe), *args],
            capture_output=True,
        )
        if res.returncode != 0:
            raise CribwatchError(f"callgrind run failed: {res.stderr.decode()[-200:]}")
        m = re.search(r"^(?:summary|totals):\s*(\d+)", out.read_text(), re.M)
    if not m:
        raise CribwatchError("callgrind: no instruction total in its output")
    return int(m.group(1))


def heap_usage(exe: Path, args: list[str]) -> dict[str, int]:
    """memcheck's heap summary of one run: allocations and bytes."""
    res = subprocess.run(["valgrind", "--tool=memcheck", str(exe), *args], capture_output=True)
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
    return {
        "frontend": round(fe),
        "model": round(d["model"]),
        "postprocess": round(full - fe - d["model"]),
        "total": round(full),
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
        cmd = compile_cmd(target, [board_dir() / src], obj, cfg, ("-c", "-fstack-usage"))
        cmd = [c for c in cmd if c != "-lm" and c != "-static"]
        res = subprocess.run(cmd, capture_output=True, text=True, cwd=out_dir)
        if res.returncode != 0:
            raise CribwatchError(f"compile {src}: {res.stderr.strip()[:200]}")
        sz = subprocess.run([size_tool, str(obj)], capture_output=True, text=True).stdout
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
        ["cw_det_push", "pitch_core", "cw_rfft", "cw_fft"],
        ["cw_det_push", "cw_fe_push", "compute_frame", "cw_rfft", "cw_fft"],
    ]
    worst = max(sum(stack.get(f, 0) for f in ch) for ch in chains)
    return {
        "objects": rows,
        "text_bytes": sum(int(r["text"]) for r in rows.values()),
        "stack_bytes_deepest_chain": worst,
    }


def bench(
    int_model: Path | None = None,
    mipsel: bool = True,
    host: bool = True,
    cfg: BenchConfig = BenchConfig(),
    progress: object = None,
    config: Path | None = None,
) -> dict[str, object]:
    """``config``: a detector config JSON for the blob (its hop sets the model's windows a
    second); default: the integer model's, as ``cribwatch cry detect`` loads it. The blob is
    exported into a folder of this run's own, so benches with other configs can run beside."""
    from cribwatch.cry.cli import load_filter_config

    cwq = shipped_int_model(int_model)
    detector = load_filter_config(config, cwq)
    with tempfile.TemporaryDirectory(prefix="cw-bench-") as tmp:
        blob = default_blob(Path(tmp), cwq, detector=detector)
        return _bench(blob, detector.hop_s, mipsel, host, cfg, progress)


def _bench(
    blob: Path, hop_s: float, mipsel: bool, host: bool, cfg: BenchConfig, progress: object
) -> dict[str, object]:
    bcfg = BuildConfig()
    a, b = cfg.seconds_a, cfg.seconds_b
    res: dict[str, object] = {"seconds": [a, b], "model_blob_bytes": blob.stat().st_size}
    res["hop_s"] = hop_s  # windows a second: 1 / hop_s

    def say(msg: str) -> None:
        if callable(progress):
            progress(msg)

    def args(p: str, s: float) -> list[str]:
        return ["--model", str(blob), "--bench", p, "--seconds", f"{s:g}"]

    hexe = build_program("host")
    info = json.loads(subprocess.run([str(hexe), *args("none", 0)], capture_output=True).stdout)
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
        if not have_cross(bcfg):
            res["mipsel"] = "skipped: mipsel-linux-gnu-gcc or qemu-mipsel-static missing"
        else:
            mexe = build_program("mipsel")
            qc = build_program("host", "qcount", ("tools/qcount.c",))
            counts = {}
            for p in PHASES:
                for s in (a, b):
                    say(f"mipsel {p} {s:g} s")
                    counts[(p, s)] = qemu_count(mexe, args(p, s), qc, bcfg)
            mips = per_phase(counts, a, b)
            res["mipsel"] = {
                "instructions_per_s_audio": mips,
                "meets_target": mips["total"] <= cfg.target_mips_per_s,
                "target": cfg.target_mips_per_s,
                "binary_bytes": mexe.stat().st_size,
                "code": code_size("mipsel", bcfg),
                "method": "qemu-mipsel-static -d in_asm,exec,nochain | board/tools/qcount",
            }
    if host:
        counts = {}
        for p in PHASES:
            for s in (a, b):
                say(f"host {p} {s:g} s")
                counts[(p, s)] = callgrind_count(hexe, args(p, s))
        h_a = heap_usage(hexe, args("full", a))
        h_b = heap_usage(hexe, args("full", b))
        res["host"] = {
            "instructions_per_s_audio": per_phase(counts, a, b),
            "binary_bytes": hexe.stat().st_size,
            "code": code_size("host", bcfg),
            "heap": {f"{a:g}s": h_a, f"{b:g}s": h_b},
            "steady_state_allocations": h_b["allocs"] - h_a["allocs"],
            "method": "valgrind --tool=callgrind (x86-64)",
        }
    return res
