"""The demo report folder: built whole, replaces only an earlier report, never '.', home or root.

The sections are replaced by cheap stand-ins (the real report takes about a minute); the report
itself runs in ``make demo``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cribwatch.demo import report
from cribwatch.errors import CribwatchError
from cribwatch.io import DIR_MARK


@pytest.fixture
def cheap(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def section(name: str):  # type: ignore[no-untyped-def]
        def write(out: Path) -> str:
            calls.append(name)
            (out / "img" / f"{name}.txt").write_text(name)
            return f"<h2>{name}</h2>"

        return write

    for name in report.SECTIONS:
        monkeypatch.setattr(report, name, section(name))
    return calls


def test_build_and_rebuild(tmp_path: Path, cheap: list[str]) -> None:
    out = tmp_path / "r"
    index = report.build_report(out)
    assert index == out / "index.html" and (out / DIR_MARK).is_file()
    assert "<h2>rollover_section</h2>" in index.read_text() and report.is_report(out)
    assert cheap == ["color_section", "night_section", "cry_section", "rollover_section"]
    text = index.read_text()
    assert text.index("<h2 id='summary'>Summary</h2>") < text.index("<h2>color_section</h2>")
    (out / "img" / "stale.png").write_bytes(b"old")
    report.build_report(out)  # an earlier report is replaced whole
    assert not (out / "img" / "stale.png").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_an_old_report_without_the_marker_is_still_a_report(
    tmp_path: Path, cheap: list[str]
) -> None:
    out = tmp_path / "r"
    (out / "img").mkdir(parents=True)
    (out / "index.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>cribwatch demo</title>"
    )
    report.build_report(out)
    assert (out / DIR_MARK).is_file()


def test_refuses_what_it_did_not_write(tmp_path: Path, cheap: list[str]) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    with pytest.raises(CribwatchError, match="--force"):
        report.build_report(mine)
    assert (mine / "thesis.tex").read_text() == "years of work" and not cheap
    report.build_report(mine, force=True)
    assert not (mine / "thesis.tex").exists()


@pytest.mark.parametrize("where", [".", "..", "~", "/"])
def test_never_the_current_folder_its_parents_home_or_root(
    where: str, tmp_path: Path, cheap: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "keep.txt").write_text("keep")
    monkeypatch.chdir(work)
    target = Path(where).expanduser()
    with pytest.raises(CribwatchError, match="current folder"):
        report.build_report(target, force=True)
    assert (work / "keep.txt").read_text() == "keep" and not cheap


def test_a_failing_section_leaves_the_old_report(
    tmp_path: Path, cheap: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "r"
    report.build_report(out)
    before = (out / "index.html").read_text()

    def broken(out_dir: Path) -> str:
        raise CribwatchError("cry demo: bundled sample missing")

    monkeypatch.setattr(report, "cry_section", broken)
    with pytest.raises(CribwatchError, match="bundled sample"):
        report.build_report(out)
    assert (out / "index.html").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_the_monitor_section_handed_in_comes_last_in_the_summary(
    tmp_path: Path, cheap: list[str]
) -> None:
    def monitor(out: Path) -> tuple[str, list[str]]:
        cheap.append("monitor")
        (out / "monitor").mkdir()
        return "<h2 id='monitor'>Monitor run</h2>", ["135 frames", "1 alert(s)"]

    index = report.build_report(tmp_path / "r", monitor=monitor)
    text = index.read_text()
    assert cheap[-1] == "monitor" and (tmp_path / "r" / "monitor").is_dir()
    assert "<a href='#monitor'>Monitor run</a>" in text and "135 frames<br>1 alert(s)" in text
    assert (
        text.index("Summary")
        < text.index("<h2>color_section</h2>")
        < text.index("<h2 id='monitor'>Monitor run</h2>")
    )
