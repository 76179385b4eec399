#!/usr/bin/env python3
"""Check that the wheel alone runs cribwatch's runtime paths, without torch (``make wheel-check``).

1. ``pip wheel . --no-deps`` builds the wheel from the checkout;
2. a clean venv in a temporary folder gets the wheel with its runtime dependencies only (no
   extras; pip uses this machine's configured index);
3. from a folder outside the checkout (so nothing is imported from the source tree), it runs
   ``python -c`` asserting torch (and the other ``train`` extras) cannot be imported,
   ``cribwatch --help``, ``cribwatch cry detect <bundled demo.flac> --json``,
   ``cribwatch color colorize`` on a bundled pair, ``cribwatch rollover detect`` on a small
   keypoint file, and, where a C compiler exists, ``cribwatch board build --target host`` (the C
   sources travel as package data).

Every step runs even after a failure; the summary lists each with its result and the tail of its
output. Exit 0 when all pass, 1 otherwise. Standard library only (it runs before any install).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Extras that must not come with `pip install cribwatch`.
TRAIN_ONLY = ("torch", "kornia", "onnx", "skimage", "sed_eval", "matplotlib", "mediapipe")


@dataclass
class Step:
    name: str
    argv: list[str]
    ok: bool = False
    seconds: float = 0.0
    output: str = ""


def run(step: Step, cwd: Path, env: dict[str, str], timeout: float) -> Step:
    start = time.monotonic()
    try:
        proc = subprocess.run(
            step.argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
        )
        step.ok = proc.returncode == 0
        step.output = f"exit {proc.returncode}\n{proc.stdout}{proc.stderr}"
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        step.output = f"timed out after {timeout:.0f} s\n{out}"
    step.seconds = time.monotonic() - start
    mark = "ok  " if step.ok else "FAIL"
    print(f"[{mark}] {step.name} ({step.seconds:.1f} s)", flush=True)
    if not step.ok:
        print("       " + "\n       ".join(step.output.strip().splitlines()[-15:]), flush=True)
    return step


def keypoint_file(path: Path) -> None:
    """A 4 s COCO-17 keypoint sequence of a baby lying still (the format of ARCHITECTURE.md)."""
    kp = [[100.0 + 3 * i, 80.0 + 2 * i, 0.9] for i in range(17)]
    header = {
        "format": "cribwatch-keypoints",
        "version": 1,
        "fps": 15,
        "width": 320,
        "height": 240,
        "layout": "coco17",
    }
    lines = [json.dumps(header)]
    lines += [json.dumps({"frame": i, "t": i / 15, "kp": kp}) for i in range(60)]
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--python",
        default=os.environ.get("PY", "python3.11"),
        help="Interpreter for the clean venv (default: python3.11).",
    )
    ap.add_argument("--keep", action="store_true", help="Keep the temporary folder.")
    ap.add_argument("--timeout", type=float, default=600.0, help="Seconds per step.")
    ap.add_argument(
        "--also",
        action="append",
        default=[],
        metavar="IMPORT=DIST",
        help="Diagnosis only: also install DIST and allow importing IMPORT (e.g. "
        "skimage=scikit-image) to see what fails behind a missing runtime dependency.",
    )
    args = ap.parse_args(argv)
    also = dict(a.split("=", 1) if "=" in a else (a, a) for a in args.also)
    blocked = tuple(m for m in TRAIN_ONLY if m not in also)

    tmp = Path(tempfile.mkdtemp(prefix="cribwatch-wheel-"))
    print(f"wheel check in {tmp}", flush=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    steps: list[Step] = []
    try:
        dist, venv, work = tmp / "dist", tmp / "venv", tmp / "work"
        work.mkdir()
        build = run(
            Step(
                "pip wheel . --no-deps",
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "wheel",
                    str(ROOT),
                    "--no-deps",
                    "-q",
                    "-w",
                    str(dist),
                ],
            ),
            ROOT,
            env,
            args.timeout,
        )
        steps.append(build)
        wheels = sorted(dist.glob("cribwatch-*.whl"))
        if not build.ok or not wheels:
            return summary(steps, tmp)
        steps.append(
            run(Step("clean venv", [args.python, "-m", "venv", str(venv)]), work, env, args.timeout)
        )
        py, cw = venv / "bin" / "python", venv / "bin" / "cribwatch"
        steps.append(
            run(
                Step(
                    f"pip install {wheels[-1].name} (runtime only)",
                    [str(py), "-m", "pip", "install", "-q", str(wheels[-1])],
                ),
                work,
                env,
                args.timeout,
            )
        )
        if not steps[-1].ok:
            return summary(steps, tmp)
        if also:
            steps.append(
                run(
                    Step(
                        f"diagnosis: pip install {' '.join(also.values())}",
                        [str(py), "-m", "pip", "install", "-q", *also.values()],
                    ),
                    work,
                    env,
                    args.timeout,
                )
            )
        env_run = {
            **env,
            "VIRTUAL_ENV": str(venv),
            "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        }
        probe = (
            "import importlib.util, pathlib, cribwatch\n"
            f"bad = [m for m in {blocked!r} if importlib.util.find_spec(m) is not None]\n"
            "assert not bad, f'installed without extras, yet importable: {bad}'\n"
            f"assert not pathlib.Path(cribwatch.__file__).is_relative_to({str(ROOT)!r}), "
            "cribwatch.__file__\n"
            "print(pathlib.Path(cribwatch.__file__).parent)\n"
        )
        where = run(
            Step("no torch (nor other train extras) importable", [str(py), "-c", probe]),
            work,
            env_run,
            args.timeout,
        )
        steps.append(where)
        pkg = Path(where.output.strip().splitlines()[-1]) if where.ok else None
        if pkg is None:
            pkg_out = subprocess.run(
                [
                    str(py),
                    "-c",
                    "import cribwatch, pathlib; print(pathlib.Path(cribwatch.__file__).parent)",
                ],
                cwd=work,
                env=env_run,
                capture_output=True,
                text=True,
            )
            pkg = Path(pkg_out.stdout.strip() or venv)
        samples = pkg / "demo" / "samples"
        pairs = sorted(p for p in (samples / "color").glob("*") if p.is_dir())
        pair = pairs[0] if pairs else samples / "color" / "missing"
        keypoint_file(work / "lying.jsonl")
        no_torch = (
            "import sys, runpy\n"
            "class Block:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            f"        if name.split('.')[0] in {blocked!r}:\n"
            "            raise ImportError(f'{name} imported on a runtime path')\n"
            "sys.meta_path.insert(0, Block())\n"
            "sys.argv = ['cribwatch', *sys.argv[1:]]\n"
            "from cribwatch.cli import main\n"
            "main()\n"
        )
        (work / "no_torch.py").write_text(no_torch)
        guarded = [str(py), str(work / "no_torch.py")]
        for name, cmd in (
            ("cribwatch --help", [str(cw), "--help"]),
            (
                "cribwatch cry detect demo.flac --json",
                [*guarded, "cry", "detect", str(samples / "cry" / "demo.flac"), "--json"],
            ),
            (
                "cribwatch color colorize (bundled pair)",
                [
                    *guarded,
                    "color",
                    "colorize",
                    "--night",
                    str(pair / "night.png"),
                    "--reference",
                    str(pair / "reference.png"),
                    "--out",
                    str(work / "colour.png"),
                ],
            ),
            (
                "cribwatch rollover detect lying.jsonl --json",
                [*guarded, "rollover", "detect", str(work / "lying.jsonl"), "--json"],
            ),
        ):
            steps.append(run(Step(name, cmd), work, env_run, args.timeout))
        if steps[-2].ok and not (work / "colour.png").is_file():
            steps[-2].ok = False
            print("       color colorize exited 0 but wrote no colour.png", flush=True)
        if shutil.which("gcc") or shutil.which("cc"):
            steps.append(
                run(
                    Step(
                        "cribwatch board build --target host (C sources in the wheel)",
                        [*guarded, "board", "build", "--target", "host"],
                    ),
                    work,
                    env_run,
                    args.timeout,
                )
            )
        return summary(steps, tmp)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def summary(steps: list[Step], tmp: Path) -> int:
    failed = [s for s in steps if not s.ok]
    if any(s.name.startswith("diagnosis:") for s in steps):
        print("(diagnosis run with --also: not the runtime-only check)", flush=True)
    print(f"wheel check: {len(steps) - len(failed)} of {len(steps)} steps passed", flush=True)
    for s in failed:
        print(f"  failed: {s.name}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
