"""The base layer's output and input rules (cribwatch.io): atomic writes, the output guard, caps.

Every failure is one CribwatchError naming the path; nothing half-written is left behind.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cribwatch import io as cio
from cribwatch.errors import CribwatchError


def _png_claiming(path: Path, width: int, height: int) -> Path:
    """A valid 1x1 grey PNG whose IHDR claims ``width`` x ``height`` (a decompression bomb)."""
    Image.fromarray(np.zeros((1, 1), np.uint8), "L").save(path)
    data = bytearray(path.read_bytes())
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
    path.write_bytes(bytes(data))
    return path


def _leftovers(folder: Path) -> list[str]:
    """Temporary files or folders the atomic writers left in ``folder``."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.fixture
def ro_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder on a read-only tmpfs (root only; skipped with the reason elsewhere)."""
    ro = tmp_path / "ro"
    ro.mkdir()
    if os.geteuid() != 0:
        reason = "a read-only folder needs root (mount -t tmpfs -o ro); chmod does not bind root"
        print(f"skipped: {reason}")
        pytest.skip(reason)
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(ro)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        reason = f"no read-only folder can be made here ({proc.stderr.strip()})"
        print(f"skipped: {reason}")
        pytest.skip(reason)
    try:
        yield ro
    finally:
        subprocess.run(["umount", str(ro)], capture_output=True)


# ----------------------------------------------------------------------------- atomic_path


def test_atomic_path_read_only_folder(ro_dir: Path) -> None:
    target = ro_dir / "x.json"
    with pytest.raises(CribwatchError) as err:
        cio.write_json(target, {"a": 1})
    assert str(target) in err.value.message and "cannot write" in err.value.message
    assert "\n" not in err.value.message
    assert not target.exists()


def test_atomic_path_read_only_subfolder(ro_dir: Path) -> None:
    """A missing parent under a read-only folder: the mkdir fails, one line."""
    target = ro_dir / "sub" / "x.png"
    with pytest.raises(CribwatchError, match="cannot write"):
        cio.write_image(target, np.zeros((4, 4), np.float32))


def test_atomic_dir_read_only_folder(ro_dir: Path) -> None:
    with pytest.raises(CribwatchError, match="cannot write"), cio.atomic_dir(ro_dir / "set"):
        raise AssertionError("the body must not run")


def test_atomic_path_folder_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "out.json").mkdir()
    with pytest.raises(CribwatchError) as err:
        cio.write_json(tmp_path / "out.json", {})
    assert "out.json" in err.value.message and "folder is in the way" in err.value.message
    assert (tmp_path / "out.json").is_dir()
    assert _leftovers(tmp_path) == []


def test_atomic_path_file_in_the_way_of_the_parent(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("a file, not a folder")
    with pytest.raises(CribwatchError, match="cannot write"):
        cio.write_json(tmp_path / "f" / "out.json", {})
    assert (tmp_path / "f").read_text() == "a file, not a folder"


def test_atomic_path_failure_leaves_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), cio.atomic_open(target) as fh:
        fh.write("half")
        raise RuntimeError("writer failed")
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_atomic_path_keeps_suffix_and_file_mode(tmp_path: Path) -> None:
    target = tmp_path / "a.png"
    with cio.atomic_path(target) as tmp:
        assert tmp.suffix == ".png" and tmp.parent == tmp_path
        tmp.write_bytes(b"x")
    assert target.read_bytes() == b"x"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


# ----------------------------------------------------------------------------- guard_output


def test_guard_refuses_an_input_even_with_force(tmp_path: Path) -> None:
    night = tmp_path / "night.png"
    night.write_bytes(b"x")
    for force in (False, True):
        with pytest.raises(CribwatchError) as err:
            cio.guard_output(night, option="--out", inputs={"--night": night}, force=force)
        assert "--out" in err.value.message and "--night" in err.value.message
    link = tmp_path / "link.png"
    os.link(night, link)
    with pytest.raises(CribwatchError, match="--night"):
        cio.guard_output(link, inputs={"--night": night}, force=True)
    assert night.read_bytes() == b"x"


def test_guard_refuses_a_folder_holding_an_input(tmp_path: Path) -> None:
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "night.png").write_bytes(b"x")
    with pytest.raises(CribwatchError, match="holds the --night input"):
        cio.guard_output(
            tmp_path / "set", inputs={"--night": tmp_path / "set" / "night.png"}, force=True
        )


def test_guard_refuses_cwd_parents_home_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    work = home / "work"
    work.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    for path in (Path("."), Path(""), Path(".."), work, home, Path("/"), Path(str(work) + "/")):
        with pytest.raises(CribwatchError) as err:
            cio.guard_output(path, option="--out", force=True)
        assert err.value.message.startswith("--out ")
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(elsewhere))
    with pytest.raises(CribwatchError, match="home"):
        cio.guard_output(elsewhere, force=True)


def test_guard_refuses_unmarked_existing_outputs_without_force(tmp_path: Path) -> None:
    f = tmp_path / "notes.txt"
    f.write_text("a user's file")
    d = tmp_path / "photos"
    d.mkdir()
    (d / "a.jpg").write_bytes(b"x")
    for path in (f, d):
        with pytest.raises(CribwatchError) as err:
            cio.guard_output(path, option="--out")
        assert "--force" in err.value.message and str(path) in err.value.message
        assert cio.guard_output(path, option="--out", force=True) == path
    assert f.read_text() == "a user's file" and (d / "a.jpg").exists()


def test_guard_accepts_new_empty_and_marked_outputs(tmp_path: Path) -> None:
    assert cio.guard_output(tmp_path / "new.png") == tmp_path / "new.png"
    (tmp_path / "empty").mkdir()
    cio.guard_output(tmp_path / "empty")
    png = tmp_path / "out.png"
    cio.write_image(png, np.full((3, 3, 3), 0.5, np.float32))
    cio.guard_output(png)
    js = tmp_path / "out.json"
    cio.write_json(js, {"written_by": cio.OUTPUT_MARK, "x": 1})
    cio.guard_output(js)
    card = tmp_path / "card.json"
    card.write_text(json.dumps({"format": "cribwatch-card", "version": 1}))
    cio.guard_output(card)
    with cio.atomic_dir(tmp_path / "set") as d:
        (d / "a.txt").write_text("a")
    cio.guard_output(tmp_path / "set")
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "manifest.json").write_text(json.dumps({"format": "cribwatch-pairs"}))
    cio.guard_output(legacy)


def test_written_by_cribwatch_reads_only_head_and_tail(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(b"\0" * 200_000 + cio.OUTPUT_MARK.encode() + b"\0" * 200_000)
    assert not cio.written_by_cribwatch(big)
    big.write_bytes(b"\0" * 400_000 + cio.OUTPUT_MARK.encode())
    assert cio.written_by_cribwatch(big)
    assert not cio.written_by_cribwatch(tmp_path / "missing")


# ----------------------------------------------------------------------------- atomic_dir


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_atomic_dir_swaps_the_whole_folder(tmp_path: Path) -> None:
    dest = tmp_path / "set"
    with cio.atomic_dir(dest) as d:
        assert d.parent == tmp_path and d != dest and not any(d.iterdir())
        for name in ("a", "b", "c"):
            (d / f"{name}.txt").write_text(f"old {name}")
        (d / "sub").mkdir()
        (d / "sub" / "x.txt").write_text("old x")
    assert set(_tree(dest)) == {"a.txt", "b.txt", "c.txt", "sub/x.txt", cio.DIR_MARK}
    with cio.atomic_dir(dest) as d:
        assert dest.is_dir() and (dest / "a.txt").read_text() == "old a"  # old whole meanwhile
        (d / "n.txt").write_text("new")
        (d / "manifest.json").write_text('{"format": "cribwatch-test"}')
    assert set(_tree(dest)) == {"n.txt", "manifest.json", cio.DIR_MARK}
    assert json.loads((dest / cio.DIR_MARK).read_text())["written_by"] == cio.OUTPUT_MARK
    assert _leftovers(tmp_path) == []


def test_atomic_dir_failure_keeps_the_old_folder(tmp_path: Path) -> None:
    dest = tmp_path / "set"
    with cio.atomic_dir(dest) as d:
        (d / "a.txt").write_text("old")
    before = _tree(dest)
    with pytest.raises(RuntimeError), cio.atomic_dir(dest) as d:
        (d / "a.txt").write_text("half")
        raise RuntimeError("writer failed")
    assert _tree(dest) == before
    assert _leftovers(tmp_path) == []


def test_atomic_dir_refuses_unmarked_folder_and_file_in_the_way(tmp_path: Path) -> None:
    user = tmp_path / "mine"
    user.mkdir()
    (user / "keep.txt").write_text("keep")
    with pytest.raises(CribwatchError, match="--out .*--force"), cio.atomic_dir(user):
        raise AssertionError("the body must not run")
    assert (user / "keep.txt").read_text() == "keep"
    with cio.atomic_dir(user, force=True) as d:
        (d / "new.txt").write_text("new")
    assert set(_tree(user)) == {"new.txt", cio.DIR_MARK}
    (tmp_path / "file").write_text("x")
    with (
        pytest.raises(CribwatchError, match="file is in the way"),
        cio.atomic_dir(tmp_path / "file"),
    ):
        raise AssertionError("the body must not run")


def test_atomic_dir_refuses_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "keep.txt").write_text("keep")
    with pytest.raises(CribwatchError, match="current folder"), cio.atomic_dir(".", force=True):
        raise AssertionError("the body must not run")
    assert (tmp_path / "keep.txt").read_text() == "keep"


# ----------------------------------------------------------------------------- input caps


def test_pixel_cap_from_the_header(tmp_path: Path) -> None:
    """A 20000x20000 header is refused before any decoding: one line naming the file."""
    bomb = _png_claiming(tmp_path / "bomb.png", 20000, 20000)
    for reader in (cio.read_rgb, cio.read_gray):
        with pytest.raises(CribwatchError) as err:
            reader(bomb)
        assert str(bomb) in err.value.message and "\n" not in err.value.message
    big = _png_claiming(tmp_path / "big.png", 9500, 9500)  # under Pillow's own bomb limit
    with pytest.raises(CribwatchError) as err:
        cio.read_rgb(big)
    msg = err.value.message
    assert str(big) in msg and "9500x9500" in msg and cio.MAX_PIXELS_ENV in msg


def test_pixel_cap_message_names_size_and_setting(tmp_path: Path) -> None:
    """Above Pillow's own bomb limit too, the error is cribwatch's: size and setting named."""
    bomb = _png_claiming(tmp_path / "bomb.png", 20000, 20000)
    with pytest.raises(CribwatchError) as err:
        cio.read_rgb(bomb)
    msg = err.value.message
    assert "20000x20000" in msg and cio.MAX_PIXELS_ENV in msg


def test_pixel_cap_is_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    img = tmp_path / "small.png"
    Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(img)
    assert cio.read_rgb(img).shape == (10, 10, 3)
    monkeypatch.setenv(cio.MAX_PIXELS_ENV, "99")
    with pytest.raises(CribwatchError, match="10x10"):
        cio.read_rgb(img)
    for bad in ("0", "-5", "nan", "inf", "lots"):
        monkeypatch.setenv(cio.MAX_PIXELS_ENV, bad)
        with pytest.raises(CribwatchError, match=cio.MAX_PIXELS_ENV):
            cio.read_rgb(img)


def test_audio_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    cio.check_audio_seconds("a.wav", 3600.0)
    with pytest.raises(CribwatchError, match="a.wav.*limit"):
        cio.check_audio_seconds("a.wav", cio.DEFAULT_MAX_AUDIO_SECONDS + 1)
    monkeypatch.setenv(cio.MAX_AUDIO_SECONDS_ENV, "10")
    with pytest.raises(CribwatchError, match=cio.MAX_AUDIO_SECONDS_ENV):
        cio.check_audio_seconds("a.wav", 11.0)


def test_image_readers_name_the_file(tmp_path: Path) -> None:
    text = tmp_path / "text.png"
    text.write_text("not an image")
    for path, words in (
        (text, "not a readable image"),
        (tmp_path / "missing.png", "file not found"),
        (tmp_path, "not a file"),
    ):
        with pytest.raises(CribwatchError) as err:
            cio.read_rgb(path)
        assert str(path) in err.value.message and words in err.value.message
    grey = tmp_path / "grey.png"
    Image.fromarray(np.full((4, 4), 100, np.uint8), "L").save(grey)
    with pytest.raises(CribwatchError, match="grey image"):
        cio.read_rgb(grey, require_color=True)


def _tiff_with_samples_per_pixel(path: Path, samples: int) -> Path:
    """A small RGB TIFF whose SamplesPerPixel tag (277) is rewritten to ``samples``."""
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(path, format="TIFF")
    data = bytearray(path.read_bytes())
    assert data[:2] == b"II"
    ifd = struct.unpack_from("<I", data, 4)[0]
    for i in range(struct.unpack_from("<H", data, ifd)[0]):
        entry = ifd + 2 + 12 * i
        if struct.unpack_from("<H", data, entry)[0] == 277:
            struct.pack_into("<H", data, entry + 8, samples)
    path.write_bytes(bytes(data))
    return path


def test_image_reader_refusal_prints_nothing(tmp_path: Path) -> None:
    bad = _tiff_with_samples_per_pixel(tmp_path / "bad.tif", 3843)
    code = (
        "import sys\n"
        "from cribwatch import io\n"
        "from cribwatch.errors import CribwatchError\n"
        "try:\n"
        "    io.read_rgb(sys.argv[1])\n"
        "except CribwatchError as exc:\n"
        "    print(exc.message)\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code, str(bad)], capture_output=True, text=True, timeout=60
    )
    assert "not a readable image" in res.stdout, res.stdout + res.stderr
    assert res.stderr == ""


def test_write_image_nan_names_the_file(tmp_path: Path) -> None:
    out = tmp_path / "out.png"
    with pytest.raises(CribwatchError) as err:
        cio.write_image(out, np.full((2, 2), np.nan, np.float32))
    assert str(out) in err.value.message
    assert not out.exists()


# ----------------------------------------------------------------------------- text and JSON


def test_read_json_object_refuses_a_list(tmp_path: Path) -> None:
    p = tmp_path / "list.json"
    p.write_text("[1, 2]\n")
    assert cio.read_json(p) == [1, 2]
    with pytest.raises(CribwatchError) as err:
        cio.read_json_object(p)
    assert str(p) in err.value.message and "not a JSON object" in err.value.message
    assert "list" in err.value.message


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (b"", "not valid JSON"),
        (b'"a string"', "not a JSON object"),
        (b"null", "not a JSON object"),
    ],
)
def test_read_json_object_bad_files(tmp_path: Path, content: bytes, words: str) -> None:
    p = tmp_path / "bad.json"
    p.write_bytes(content)
    with pytest.raises(CribwatchError) as err:
        cio.read_json_object(p)
    assert str(p) in err.value.message and words in err.value.message
    assert "\n" not in err.value.message


def test_read_text_missing_and_folder(tmp_path: Path) -> None:
    with pytest.raises(CribwatchError, match="file not found"):
        cio.read_text(tmp_path / "missing.txt")
    with pytest.raises(CribwatchError, match="not a file"):
        cio.read_text(tmp_path)
