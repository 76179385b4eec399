"""data fetch's negatives group, round 6: Hedgewars voices, GCompris recordings inside Qt
resource files (.rcc), their families and names; every new source stays out of the cry sets."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from cribwatch.cry.negatives import FAMILIES
from cribwatch.data.fetch import (
    NEGATIVE_FAMILIES,
    SOURCES,
    index_negatives,
    negative_family,
    negative_name,
    rcc_files,
)
from cribwatch.errors import CribwatchError


def _rcc(files: dict[str, tuple[bytes, bool]]) -> bytes:
    """A version-3 Qt resource file with one folder ``a/b`` holding ``files`` (name ->
    (bytes, zlib-compressed))."""
    names = b""
    name_off: dict[str, int] = {}
    for nm in ["a", "b", *files]:
        name_off[nm] = len(names)
        names += struct.pack(">HI", len(nm), 0) + nm.encode("utf-16-be")
    data = b""
    data_off: dict[str, int] = {}
    for nm, (raw, packed) in files.items():
        payload = struct.pack(">I", len(raw)) + zlib.compress(raw) if packed else raw
        data_off[nm] = len(data)
        data += struct.pack(">I", len(payload)) + payload
    entries = [
        struct.pack(">IHII", 0, 2, 1, 1) + b"\0" * 8,  # root -> a
        struct.pack(">IHII", name_off["a"], 2, 1, 2) + b"\0" * 8,  # a -> b
        struct.pack(">IHII", name_off["b"], 2, len(files), 3) + b"\0" * 8,  # b -> files
    ]
    for nm, (_, packed) in files.items():
        entries.append(
            struct.pack(">IHHHI", name_off[nm], 1 if packed else 0, 0, 0, data_off[nm]) + b"\0" * 8
        )
    tree = b"".join(entries)
    head = 24
    return (
        b"qres"
        + struct.pack(">IIIII", 3, head, head + len(tree), head + len(tree) + len(data), 0)
        + tree
        + data
        + names
    )


def test_rcc_files_reads_plain_and_zlib_entries() -> None:
    blob = _rcc({"cow.ogg": (b"OggS-cow" * 50, True), "x.wav": (b"RIFF-x", False)})
    got = dict(rcc_files(blob))
    assert got == {"a/b/cow.ogg": b"OggS-cow" * 50, "a/b/x.wav": b"RIFF-x"}
    with pytest.raises(CribwatchError, match="Qt resource"):
        rcc_files(b"nope" + blob[4:])
    with pytest.raises(CribwatchError, match="Qt resource"):
        rcc_files(blob[:40])


def test_round6_families_and_names() -> None:
    hw = Path("usr/share/games/hedgewars/Data/Sounds")
    assert negative_family("hedgewars-data", hw / "voices" / "Default" / "Laugh.ogg") == "voices"
    assert negative_family("hedgewars-data", hw / "bee.ogg") == "game-effects"
    assert negative_family("hedgewars-data", hw.parent / "Music" / "oriental.ogg") == "music"
    assert negative_family("hedgewars-data", hw / "voices" / "Default" / "x.txt") is None
    assert negative_name("hedgewars-data", hw / "voices" / "Singer" / "Ow1.ogg") == (
        "hedgewars-data-Singer-Ow1.ogg"
    )
    assert negative_name("hedgewars-data", hw / "bee.ogg") == "hedgewars-data-bee.ogg"
    gc = Path("gcompris/src/activities")
    farm = gc / "explore_farm_animals" / "resource" / "animals" / "cow.ogg"
    assert negative_family("gcompris-qt-data", farm) == "animals"
    mem = gc / "memory-sound" / "resource"
    assert negative_family("gcompris-qt-data", mem / "LRBark_1_LA_cut.ogg") == "animals"
    assert negative_family("gcompris-qt-data", mem / "LRDoor_Open_2_LA.ogg") == "household"
    assert negative_family("gcompris-qt-data", mem / "guitar_son1.ogg") == "music"
    assert negative_family("gcompris-qt-data", gc / "explore_world_music" / "japan.ogg") == "music"
    assert negative_family("gcompris-qt-data", gc / "core" / "win.wav") is None
    assert negative_family("blinken", Path("usr/share/blinken/sounds/1.wav")) == "game-effects"
    assert FAMILIES == NEGATIVE_FAMILIES and "voices" in FAMILIES


def test_new_negative_sources_are_listed_with_licences_and_never_test() -> None:
    by = {s.package: s for s in SOURCES}
    for pkg in ("hedgewars-data", "gcompris-qt-data", "blinken"):
        assert by[pkg].group == "negatives" and by[pkg].licence
    # the cry sets (cribwatch.cry.sources) draw from these packages only; negatives never do
    cry_set_packages = {
        "tuxpaint-stamps-default",
        "ktuberling-data",
        "sound-theme-freedesktop",
        "supertux-data",
        "espeak-ng",
        "espeak-ng-data",
    }
    negatives = {s.package for s in SOURCES if s.group == "negatives"}
    assert not negatives & cry_set_packages
    assert not {p for p in negatives if p.startswith("asterisk")}


def test_index_negatives_copies_recordings_out_of_rcc_files(tmp_path: Path) -> None:
    pkg = tmp_path / "debian" / "gcompris-qt-data"
    rcc_dir = pkg / "usr" / "share" / "gcompris-qt" / "rcc"
    rcc_dir.mkdir(parents=True)
    (pkg / ".complete").write_text("x\n")
    farm = "gcompris/src/activities/explore_farm_animals/resource/animals"
    (rcc_dir / "broken.rcc").write_bytes(b"qres\0\0\0\3")
    (rcc_dir / "farm.rcc").write_bytes(_farm_rcc(farm))
    assert index_negatives(tmp_path) == 1
    out = tmp_path / "negatives" / "animals" / "gcompris-qt-data-cow.ogg"
    assert out.read_bytes() == b"OggS-cow" and not out.is_symlink()
    assert index_negatives(tmp_path) == 1  # idempotent


def _farm_rcc(folder: str) -> bytes:
    """An .rcc whose tree is ``folder`` (nested) holding cow.ogg and readme.txt."""
    parts = folder.split("/")
    names = b""
    offs: list[int] = []
    for nm in [*parts, "cow.ogg", "readme.txt"]:
        offs.append(len(names))
        names += struct.pack(">HI", len(nm), 0) + nm.encode("utf-16-be")
    raw = b"OggS-cow"
    payload = struct.pack(">I", len(raw)) + zlib.compress(raw)
    data = struct.pack(">I", len(payload)) + payload + struct.pack(">I", 1) + b"t"
    entries = [struct.pack(">IHII", 0, 2, 1, 1) + b"\0" * 8]
    for i in range(len(parts)):
        last = i == len(parts) - 1
        entries.append(struct.pack(">IHII", offs[i], 2, 2 if last else 1, i + 2) + b"\0" * 8)
    n = len(parts)
    entries.append(struct.pack(">IHHHI", offs[n], 1, 0, 0, 0) + b"\0" * 8)
    entries.append(struct.pack(">IHHHI", offs[n + 1], 0, 0, 0, len(payload) + 4) + b"\0" * 8)
    tree = b"".join(entries)
    head = 24
    return (
        b"qres"
        + struct.pack(">IIIII", 3, head, head + len(tree), head + len(tree) + len(data), 0)
        + tree
        + data
        + names
    )
