"""Bad-input contract cases of ``cribwatch demo`` (audit row X8: the report never deletes what
it did not write)."""

from __future__ import annotations

from pathlib import Path

from tests.contract.harness import Case


def _user_folder(tmp: Path, fx: Path) -> None:
    d = tmp / "mine"
    (d / "sub").mkdir(parents=True)
    (d / "notes.txt").write_text("mine\n")
    (d / "sub" / "photo.png").write_bytes(b"not really a photo")


def _user_folder_kept(tmp: Path, fx: Path) -> None:
    d = tmp / "mine"
    assert (d / "notes.txt").read_text() == "mine\n"
    assert (d / "sub" / "photo.png").read_bytes() == b"not really a photo"
    assert sorted(p.name for p in d.iterdir()) == ["notes.txt", "sub"]


def _user_file(tmp: Path, fx: Path) -> None:
    (tmp / "report.txt").write_text("mine\n")


def _user_file_kept(tmp: Path, fx: Path) -> None:
    assert (tmp / "report.txt").read_text() == "mine\n"


def _cwd_kept(tmp: Path, fx: Path) -> None:
    assert Path("pyproject.toml").is_file() or any(Path(".").iterdir())


CASES: list[Case] = [
    # `--out .` is refused before any work (the report used to rmtree the current folder)
    Case("X8", ["demo", "--out", "."], ["--out", "current folder"], check=_cwd_kept),
    Case(
        "demo_out_parent_force",
        ["demo", "--out", "..", "--force"],
        ["--out", "parent"],
        check=_cwd_kept,
    ),  # fmt: skip
    Case(
        "demo_out_user_folder",
        ["demo", "--out", "{tmp}/mine"],
        ["--out", "{tmp}/mine"],
        setup=_user_folder,
        check=_user_folder_kept,
    ),  # fmt: skip
    Case(
        "demo_out_file",
        ["demo", "--out", "{tmp}/report.txt"],
        ["--out", "report.txt"],
        setup=_user_file,
        check=_user_file_kept,
    ),  # fmt: skip
    Case(
        "demo_out_ro",
        ["demo", "--out", "{fx}/ro/report"],
        ["{fx}/ro/report", "cannot write"],
        absent=["{fx}/ro/report"],
    ),
]
