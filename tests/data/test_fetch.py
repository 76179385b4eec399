"""data fetch with a fake apt-get (no network): idempotence and the error line."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from cribwatch.data.fetch import fetch_package
from cribwatch.errors import CribwatchError

pytestmark = pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb")


@pytest.fixture()
def fake_apt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    pkg = tmp_path / "build" / "fakepkg"
    (pkg / "DEBIAN").mkdir(parents=True)
    (pkg / "DEBIAN" / "control").write_text(
        "Package: fakepkg\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@t>\nDescription: t\n"
    )
    (pkg / "usr" / "share" / "fake").mkdir(parents=True)
    (pkg / "usr" / "share" / "fake" / "hello.txt").write_text("hello\n")
    deb = tmp_path / "fakepkg_1.0_all.deb"
    subprocess.run(["dpkg-deb", "--build", str(pkg), str(deb)], check=True, capture_output=True)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "apt-get"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> {tmp_path}/calls\n'
        f'if [ "$2" = fakepkg ]; then cp {deb} .; exit 0; fi\n'
        'echo "E: Unable to locate package $2" >&2; exit 100\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return tmp_path


def test_fetch_is_idempotent(fake_apt: Path) -> None:
    dest = fake_apt / "data"
    msgs: list[str] = []
    target = fetch_package("fakepkg", dest, msgs.append)
    assert (target / "usr" / "share" / "fake" / "hello.txt").read_text() == "hello\n"
    fetch_package("fakepkg", dest, msgs.append)
    assert "fetched" in msgs[0] and "already present" in msgs[1]
    assert (fake_apt / "calls").read_text().count("download") == 1


def test_missing_package_is_one_clear_error(fake_apt: Path) -> None:
    dest = fake_apt / "data"
    with pytest.raises(
        CribwatchError, match="nosuchpkg: apt-get download failed.*Unable to locate"
    ):
        fetch_package("nosuchpkg", dest, lambda m: None)
    assert not (dest / "debian" / "nosuchpkg").exists()


def test_failed_parts_do_not_stop_the_others_and_are_reported(fake_apt: Path) -> None:
    """Every package of 'test' fails (the fake apt knows only fakepkg): no exception, every
    part tried, each failure listed; the CLI ends with one error line and exit code 2."""
    from cribwatch.data.fetch import SOURCES, fetch
    from tests.contract.harness import run_cli

    dest = fake_apt / "data"
    res = fetch(dest, ["test"])
    test_pkgs = [s.package for s in SOURCES if s.group == "test"]
    assert not res.ok and len(res.failed) == len(test_pkgs)
    assert all("apt-get download failed" in f for f in res.failed)
    assert (fake_apt / "calls").read_text().count("download") == len(test_pkgs)
    out = run_cli(["data", "fetch", "--only", "test", "--dest", str(dest)])
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert out.code == 2 and len(lines) == 1 and lines[0].startswith("error: data fetch: ")
    assert f"and {len(test_pkgs) - 1} more" in lines[0]


def test_local_paths_checked_before_any_download(fake_apt: Path) -> None:
    from cribwatch.data.fetch import fetch

    dest = fake_apt / "data"
    with pytest.raises(CribwatchError, match="--donateacry"):
        fetch(dest, ["test"], donateacry=fake_apt / "nope")
    assert not (fake_apt / "calls").exists() and not dest.exists()


def test_donateacry_from_a_local_working_tree(tmp_path: Path) -> None:
    from cribwatch.data.donateacry import CLEANED, fetch_donateacry

    clone = tmp_path / "clone"
    (clone / CLEANED / "hungry").mkdir(parents=True)
    (clone / CLEANED / "hungry" / "a.wav").write_bytes(b"RIFF")
    (clone / CLEANED / "hungry" / "b.wav").write_bytes(b"RIFF")
    msg = fetch_donateacry(tmp_path / "data", clone)
    assert msg.startswith("donateacry: 2 recordings")
    assert (tmp_path / "data" / "donateacry" / CLEANED / "hungry" / "b.wav").is_file()
    assert fetch_donateacry(tmp_path / "data", clone) == "donateacry: already present"
