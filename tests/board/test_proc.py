"""Child processes of the board tools die with their parent (audit row bbench_seconds_neg: a
killed CLI left its valgrind child running): timeout, KeyboardInterrupt, SIGKILL, SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cribwatch.board.proc import run_child
from cribwatch.errors import CribwatchError

ROOT = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _wait_dead(pid: int, seconds: float = 5.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not _alive(pid):
            return True
        time.sleep(0.02)
    return not _alive(pid)


def _wait_file(path: Path, seconds: float = 30.0) -> str:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if path.is_file() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.02)
    raise AssertionError(f"{path} never written")


def test_timeout_kills_the_whole_group(tmp_path: Path) -> None:
    pf = tmp_path / "pid"
    with pytest.raises(CribwatchError, match="no result after"):
        run_child(["sh", "-c", f"sleep 30 & echo $! > {pf}; wait"], timeout=0.5)
    assert _wait_dead(int(_wait_file(pf)))


@pytest.mark.parametrize("how", ["SIGINT", "SIGKILL"])
def test_children_die_with_their_parent(tmp_path: Path, how: str) -> None:
    """SIGINT: KeyboardInterrupt kills the group (grandchildren too); SIGKILL: the kernel kills
    the direct child (PR_SET_PDEATHSIG)."""
    pf = tmp_path / "pid"
    if how == "SIGINT":
        cmd = f"['sh', '-c', 'sleep 30 & echo $! > {pf}; wait']"
    else:
        cmd = f"['sh', '-c', 'echo $$ > {pf}; exec sleep 30']"
    script = (
        "import signal\n"  # a shell's background job starts with SIGINT ignored
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        f"from cribwatch.board.proc import run_child\nrun_child({cmd})\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stderr=subprocess.DEVNULL)
    try:
        pid = int(_wait_file(pf))
        parent.send_signal(getattr(signal, how))
        parent.wait(timeout=10)
        assert _wait_dead(pid), f"child {pid} outlived its parent ({how})"
    finally:
        if parent.poll() is None:
            parent.kill()


def _descendants(pid: int) -> list[int]:
    kids: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for k in kids.get(p, []):
            out.append(k)
            todo.append(k)
    return out


@pytest.mark.skipif(
    subprocess.run(["which", "valgrind"], capture_output=True).returncode != 0,
    reason="valgrind missing",
)
def test_terminated_bench_leaves_no_valgrind() -> None:
    """``board bench`` killed with SIGTERM while valgrind counts: no child survives."""
    cli = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cribwatch.cli",
            "board",
            "bench",
            "--no-mipsel",
            "--seconds-a",
            "100",
            "--seconds-b",
            "200",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        seen: list[int] = []
        end = time.monotonic() + 120
        while time.monotonic() < end and cli.poll() is None:
            kids = _descendants(cli.pid)
            if any(
                "grind" in Path(f"/proc/{k}/comm").read_text(errors="replace")
                for k in kids
                if Path(f"/proc/{k}/comm").exists()
            ):
                seen = kids
                break
            time.sleep(0.05)
        assert seen, "valgrind never started"
        cli.send_signal(signal.SIGTERM)
        cli.wait(timeout=30)
        alive = [k for k in seen if not _wait_dead(k)]
        assert not alive, f"children outlived the CLI: {alive}"
    finally:
        if cli.poll() is None:
            cli.kill()
