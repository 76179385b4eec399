"""data fetch's negatives group, round 7: animal recordings of Widelands, OpenClonk (inside its
C4Group .ocg files) and Wesnoth, their families and names."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import pytest

from cribwatch.data.fetch import (
    SOURCES,
    c4group_files,
    index_negatives,
    negative_family,
    negative_name,
)
from cribwatch.errors import CribwatchError

NEW = ("widelands-data", "openclonk-data", "wesnoth-1.16-data")


def _scramble(b: bytes) -> bytes:
    x = bytearray(v ^ 0xED for v in b)
    for i in range(0, len(x) - 2, 3):
        x[i], x[i + 2] = x[i + 2], x[i]
    return bytes(x)


def _group(entries: dict[str, bytes | dict]) -> bytes:
    """An uncompressed C4Group holding ``entries`` (name -> bytes, or a child group's dict)."""
    blobs = [
        (nm, _group(v) if isinstance(v, dict) else v, isinstance(v, dict))
        for nm, v in entries.items()
    ]
    head = b"RedWolf Design GrpFolder" + b"\0" * 4 + struct.pack("<iii", 1, 2, len(blobs))
    head = _scramble(head + b"\0" * (204 - len(head)))
    table, data = b"", b""
    for nm, raw, child in blobs:
        e = nm.encode().ljust(260, b"\0") + struct.pack(
            "<5i", 0, int(child), len(raw), 0, len(data)
        )
        table += e.ljust(316, b"\0")
        data += raw
    return head + table + data


def _ocg(entries: dict[str, bytes | dict]) -> bytes:
    z = gzip.compress(_group(entries))
    return b"\x1e\x8c" + z[2:]


def test_round7_families_and_names() -> None:
    wl = Path("usr/share/games/widelands/data")
    assert negative_family("widelands-data", wl / "sound" / "animals" / "wolf_00.ogg") == "animals"
    assert negative_family("widelands-data", wl / "sound" / "farm" / "sheep_01.ogg") == "animals"
    assert negative_family("widelands-data", wl / "sound" / "farm" / "scythe_00.ogg") is None
    duck = wl / "world" / "critters" / "duck" / "duck_00.ogg"
    assert negative_family("widelands-data", duck) == "animals"
    assert negative_name("widelands-data", duck) == "widelands-data-duck-duck_00.ogg"
    assert negative_family("widelands-data", wl / "music" / "ingame_01.ogg") is None
    assert negative_family("widelands-data", wl / "sound" / "smiths" / "smith_00.ogg") is None
    wn = Path("usr/share/games/wesnoth/1.16/data/core/sounds")
    assert negative_family("wesnoth-1.16-data", wn / "wolf-growl-1.ogg") == "animals"
    assert negative_family("wesnoth-1.16-data", wn / "bat-hit-2.ogg") == "animals"
    assert negative_family("wesnoth-1.16-data", wn / "ambient" / "birds1.ogg") == "animals"
    assert negative_family("wesnoth-1.16-data", wn / "human-female-die-1.ogg") == "voices"
    assert negative_family("wesnoth-1.16-data", wn / "sword-1.ogg") is None
    assert negative_family("wesnoth-1.16-data", wn / "wolf-growl-1.png") is None
    assert negative_family("openclonk-data", Path("Animals.ocg/Wipf.ocg/Weep1.wav")) == "animals"
    assert negative_family("openclonk-data", Path("Animals.ocg/MosquitoBuzz.ogg")) == "animals"
    assert (
        negative_family("openclonk-data", Path("Clonk.ocg/Skin.ocg/Farmer.ocg/Hurt1.ogg"))
        == "voices"
    )
    assert negative_family("openclonk-data", Path("Fire.ocg/Inflame.ogg")) is None
    assert negative_name("openclonk-data", Path("Animals.ocg/Bat.ocg/Chirp.wav")) == (
        "openclonk-data-Bat-Chirp.wav"
    )


def test_c4group_files_reads_nested_gzip_groups() -> None:
    blob = _ocg(
        {"Animals.ocg": {"Bat.ocg": {"Chirp.wav": b"RIFF-bat"}, "Buzz.ogg": b"OggS"}, "x.txt": b"t"}
    )
    got = dict(c4group_files(blob))
    assert got == {
        "Animals.ocg/Bat.ocg/Chirp.wav": b"RIFF-bat",
        "Animals.ocg/Buzz.ogg": b"OggS",
        "x.txt": b"t",
    }
    with pytest.raises(CribwatchError, match="C4Group"):
        c4group_files(b"not a group" * 30)
    with pytest.raises(CribwatchError):
        c4group_files(b"\x1e\x8c" + b"\0" * 50)


def test_index_negatives_copies_openclonk_sounds_out_of_groups(tmp_path: Path) -> None:
    pkg = tmp_path / "debian" / "openclonk-data"
    game = pkg / "usr" / "share" / "games" / "openclonk"
    game.mkdir(parents=True)
    (pkg / ".complete").write_text("x\n")
    sound = {
        "Animals.ocg": {"Wipf.ocg": {"Whine.wav": b"RIFF-wipf"}},
        "Fire.ocg": {"a.ogg": b"OggS"},
    }
    (game / "Sound.ocg").write_bytes(_ocg(sound))
    assert index_negatives(tmp_path) == 1
    out = tmp_path / "negatives" / "animals" / "openclonk-data-Wipf-Whine.wav"
    assert out.read_bytes() == b"RIFF-wipf"
    assert not (tmp_path / "negatives" / "game-effects").exists()


def test_round7_sources_are_listed_with_licences() -> None:
    """(That no negatives package is one the cry sets draw from is checked for every package of
    the group in test_negative_sources.py.)"""
    by = {s.package: s for s in SOURCES}
    for pkg in NEW:
        assert by[pkg].group == "negatives" and by[pkg].licence
