"""Kill tests: a folder writer SIGKILLed at any point leaves the old folder whole or the new one.

Issue 28, item 7: folder outputs go through ``cribwatch.io.atomic_dir`` (a temporary folder beside
the destination, manifest last, swapped in whole). A child process writes a folder over an older
one and is killed at random points (several seeds); the destination must then hold exactly the
old files or exactly the new ones, never a mix, a part or nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import cribwatch.io as cio

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"}

#: A fork server: imports once (``cribwatch.io``, or the whole CLI with ``cli``), then per job line
#: (JSON) forks a child that runs the job, prints the child's pid, waits for it and prints its
#: wait status. Jobs: ``{"argv": [...]}`` runs ``cribwatch ARGV``; ``{"dest", "tag", "n"}``
#: writes N files (manifest last) through atomic_dir. With ``kill_at`` > 0 the child SIGKILLs
#: itself right after its kill_at-th rename (os.rename/os.replace): a deterministic stop between
#: the steps of the swap. With ``kill_before`` = k > 0 it SIGKILLs itself just before its k-th
#: file-system step after the manifest (audit events: open, rename, remove, rmdir, scandir,
#: rmtree, ctypes dlopen/dlsym), whatever atomic_dir's swap is made of. Children write their
#: output to ``log``.
DRIVER = r"""
import json, os, signal, sys, traceback
from pathlib import Path
if sys.argv[1] == "cli":
    from cribwatch.cli import main
import cribwatch.io as cio
from cribwatch.io import atomic_dir

def patch_renames(kill_at):
    calls = [0]
    def wrap(fn):
        def inner(*a, **k):
            out = fn(*a, **k)
            calls[0] += 1
            if calls[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return out
        return inner
    os.rename, os.replace = wrap(os.rename), wrap(os.replace)
    cio._exchange = wrap(cio._exchange)  # the one-step swap counts as a rename

SWAP = {"armed": False, "n": 0, "at": 0}
STEPS = {"open", "os.rename", "os.remove", "os.rmdir", "os.mkdir", "os.scandir", "shutil.rmtree",
         "ctypes.dlopen", "ctypes.dlsym"}

def step_hook(event, args):
    if SWAP["armed"] and event in STEPS:
        SWAP["n"] += 1
        if SWAP["n"] == SWAP["at"]:
            os.kill(os.getpid(), signal.SIGKILL)

def no_exchange():
    cio._exchange = lambda a, b: False  # the two-rename fallback of systems without renameat2

def write(dest, tag, n):
    with atomic_dir(dest) as tmp:
        for i in range(n):
            sub = tmp / f"part{i % 7}"
            sub.mkdir(exist_ok=True)
            (sub / f"f{i:04d}.txt").write_text(f"{tag} {i} " * (1 + i % 50))
        (tmp / "manifest.json").write_text(json.dumps({"format": "cribwatch-killtest"}))
        SWAP["armed"] = True

print("ready", flush=True)
for line in sys.stdin:
    job = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            log = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.dup2(log, 1)
            os.dup2(log, 2)
            if job.get("no_exchange"):
                no_exchange()
            if job.get("kill_at"):
                patch_renames(job["kill_at"])
            if job.get("kill_before"):
                SWAP["at"] = job["kill_before"]
                sys.addaudithook(step_hook)
            if "argv" in job:
                sys.argv = ["cribwatch", *job["argv"]]
                main()
            else:
                write(Path(job["dest"]), job["tag"], job["n"])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    print(pid, flush=True)
    _, status = os.waitpid(pid, 0)
    print(status, flush=True)
"""


class Driver:
    """The fork server of :data:`DRIVER`, as a context manager."""

    def __init__(self, mode: str, cwd: Path) -> None:
        self.log = cwd / f"driver-{mode}.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", DRIVER, mode],
            cwd=cwd,
            env=ENV,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=open(self.log, "ab"),
            text=True,  # noqa: SIM115
        )
        assert self.proc.stdout is not None and self.proc.stdin is not None
        first = self.proc.stdout.readline().strip()
        assert first == "ready", f"the fork server did not start: {self.log.read_text()[-2000:]}"

    def start(self, job: dict[str, Any]) -> int:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"log": str(self.log), **job}) + "\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def wait(self) -> int:
        """The job's exit code (negative: killed by that signal)."""
        assert self.proc.stdout is not None
        status = int(self.proc.stdout.readline())
        return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)

    def run(self, job: dict[str, Any]) -> int:
        self.start(job)
        code = self.wait()
        assert code == 0, f"job {job} failed ({code}): {self.log.read_text()[-3000:]}"
        return code

    def __enter__(self) -> Driver:
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def tree(folder: Path) -> dict[str, bytes] | None:
    """Relative path -> bytes of every file under ``folder``; None when it does not exist."""
    if not folder.exists():
        return None
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def restore(folder: Path, files: dict[str, bytes]) -> None:
    """Put ``folder`` back to exactly ``files`` (and remove the killed writers' temporaries)."""
    shutil.rmtree(folder, ignore_errors=True)
    for leftover in folder.parent.glob(f".{folder.name}.*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)


def describe(got: dict[str, bytes] | None, old: dict[str, bytes], new: dict[str, bytes]) -> str:
    if got is None:
        return "the destination is missing"
    return (
        f"{len(got)} files: {len(set(got) & set(old))} of the old {len(old)}, "
        f"{len(set(got) & set(new))} of the new {len(new)}, "
        f"{sum(1 for k in got if got[k] != old.get(k, got[k]))} changed from old"
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for_work(pid: int, dest: Path, timeout: float = 60.0) -> bool:
    """Block until the job is inside its folder writer (a temporary folder exists beside
    ``dest``: True) or has ended (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        if any(dest.parent.glob(f".{dest.name}.partial-*")):
            return True
        time.sleep(0.001)
    return False


def timed_run(driver: Driver, job: dict[str, Any], dest: Path) -> float:
    """Run ``job`` to its end; return the seconds from its temporary folder to its exit."""
    pid = driver.start(job)
    seen = wait_for_work(pid, dest)
    t0 = time.monotonic()
    code = driver.wait()
    assert code == 0, f"job {job} failed ({code}): {driver.log.read_text()[-3000:]}"
    assert seen, f"no temporary folder appeared beside {dest}: is it written through atomic_dir?"
    return time.monotonic() - t0


def kill_trial(
    driver: Driver,
    job: dict[str, Any],
    dest: Path,
    seed: int,
    span: float,
    old: dict[str, bytes],
) -> tuple[dict[str, bytes] | None, float]:
    """Run ``job`` over ``old`` at ``dest``; SIGKILL it a random time into its writing."""
    restore(dest, old)
    pid = driver.start(job)
    wait_for_work(pid, dest)
    delay = random.Random(seed).uniform(0.0, span)
    time.sleep(delay)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    driver.wait()
    return tree(dest), delay


# ----------------------------------------------------------------------------- atomic_dir

N_FILES = 120


@pytest.fixture(scope="module")
def writer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Driver, dict, dict, float]]:
    """The fork server, the old folder, the new one, and how long writing the new one takes."""
    base = tmp_path_factory.mktemp("writer")
    dest = base / "set"
    with Driver("io", base) as driver:
        driver.run({"dest": str(dest), "tag": "old", "n": N_FILES // 2})
        old = tree(dest)
        span = timed_run(driver, {"dest": str(dest), "tag": "new", "n": N_FILES}, dest)
        new = tree(dest)
        assert old is not None and new is not None and old != new
        assert "manifest.json" in new and cio.DIR_MARK in new
        yield driver, old, new, span


@pytest.mark.parametrize("seed", range(8))
def test_atomic_dir_killed_at_random(
    seed: int, writer: tuple[Driver, dict, dict, float], tmp_path: Path
) -> None:
    driver, old, new, span = writer
    dest = tmp_path / "set"
    job = {"dest": str(dest), "tag": "new", "n": N_FILES}
    got, delay = kill_trial(driver, job, dest, seed, span * 1.3, old)
    assert got in (old, new), (
        f"killed {delay * 1000:.1f} ms into writing: {describe(got, old, new)}"
    )


def test_atomic_dir_killed_right_after_the_swap(
    writer: tuple[Driver, dict, dict, float], tmp_path: Path
) -> None:
    """A kill right after the one-step swap (before the old folder is removed): the new whole."""
    driver, old, new, _ = writer
    dest = tmp_path / "set"
    restore(dest, old)
    driver.start({"dest": str(dest), "tag": "new", "n": N_FILES, "kill_at": 1})
    assert driver.wait() == -signal.SIGKILL
    assert tree(dest) == new, describe(tree(dest), old, new)


@pytest.mark.parametrize("step", range(1, 7))
def test_atomic_dir_killed_before_each_step_after_the_manifest(
    step: int, writer: tuple[Driver, dict, dict, float], tmp_path: Path
) -> None:
    """Kills just before each file-system step after the manifest (the marker, the swap, the
    removal of the old folder), found by audit hooks, not by atomic_dir's internal names."""
    driver, old, new, _ = writer
    dest = tmp_path / "set"
    restore(dest, old)
    driver.start({"dest": str(dest), "tag": "new", "n": N_FILES, "kill_before": step})
    code = driver.wait()
    got = tree(dest)
    assert got in (old, new), f"killed before step {step} ({code}): {describe(got, old, new)}"
    if step == 1:  # before the marker is written: nothing swapped yet
        assert code == -signal.SIGKILL and got == old, describe(got, old, new)


@pytest.mark.parametrize("kill_at", [1, 2])
def test_atomic_dir_fallback_killed_inside_the_swap(
    kill_at: int, writer: tuple[Driver, dict, dict, float], tmp_path: Path
) -> None:
    """Without renameat2 the swap is two renames; a kill between them leaves the old folder
    aside, which the next writer (or reader through atomic_dir) puts back before anything else."""
    driver, old, new, _ = writer
    dest = tmp_path / "set"
    restore(dest, old)
    driver.start(
        {"dest": str(dest), "tag": "new", "n": N_FILES, "kill_at": kill_at, "no_exchange": True}
    )
    assert driver.wait() == -signal.SIGKILL
    cio._restore_interrupted_swap(dest)
    got = tree(dest)
    assert got in (old, new), f"killed after rename {kill_at}: {describe(got, old, new)}"


# ----------------------------------------------------------------------------- a real verb


def _scenes_and_stamps(base: Path) -> tuple[Path, Path]:
    """Scene photos (the bundled colour samples' day images) and a few RGBA stamps."""
    samples = ROOT / "cribwatch" / "demo" / "samples" / "color"
    scenes, stamps = base / "scenes", base / "stamps"
    scenes.mkdir()
    stamps.mkdir()
    for pair in sorted(p for p in samples.iterdir() if p.is_dir()):
        for name in ("reference.png", "target.png"):
            if (pair / name).is_file():
                shutil.copy(pair / name, scenes / f"{pair.name}_{name}")
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:64, 0:64]
    for i in range(4):
        rgba = np.zeros((64, 64, 4), np.uint8)
        rgba[..., :3] = rng.integers(0, 256, 3)
        rgba[..., 3] = np.where((yy - 32) ** 2 + (xx - 32) ** 2 < (16 + 4 * i) ** 2, 255, 0)
        Image.fromarray(rgba, "RGBA").save(stamps / f"stamp{i}.png")
    return scenes, stamps


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Driver]:
    """A fork server that has imported the whole ``cribwatch`` CLI once."""
    with Driver("cli", tmp_path_factory.mktemp("cli")) as driver:
        yield driver


def _verb_killed_at_random(
    cli: Driver, dest: Path, old_argv: list[str], new_argv: list[str], seeds: int
) -> None:
    """Write the old output, time the new one, then kill the new one over the old at random."""
    cli.run({"argv": old_argv})
    old = tree(dest)
    span = timed_run(cli, {"argv": new_argv}, dest)
    new = tree(dest)
    assert old is not None and new is not None and old != new
    assert "manifest.json" in new and cio.DIR_MARK in new
    for seed in range(seeds):
        got, delay = kill_trial(cli, {"argv": new_argv}, dest, seed, span * 1.2, old)
        assert got in (old, new), (
            f"seed {seed}: killed {delay * 1000:.0f} ms into writing: {describe(got, old, new)}"
        )


def test_make_pairs_killed_at_random(cli: Driver, tmp_path: Path) -> None:
    """``cribwatch color make-pairs`` over an older set of its own, killed while writing."""
    scenes, stamps = _scenes_and_stamps(tmp_path)
    dest = tmp_path / "pairs"
    common = ["color", "make-pairs", "--images", str(scenes), "--stamps", str(stamps)]
    common += ["--out", str(dest), "--split", "all"]
    _verb_killed_at_random(
        cli, dest, [*common, "--n", "2", "--seed", "1"], [*common, "--n", "3", "--seed", "2"], 2
    )


def test_rollover_make_set_killed_at_random(cli: Driver, tmp_path: Path) -> None:
    """``cribwatch rollover make-set`` of one sequence over an older set of two (issue 28: a
    rewrite kept the old set's stale sequences), killed while writing."""
    dest = tmp_path / "set"
    common = ["rollover", "make-set", "--out", str(dest)]
    _verb_killed_at_random(
        cli, dest, [*common, "--hours", "0.2", "--seed", "1"], [*common, "--hours", "0.05"], 2
    )
