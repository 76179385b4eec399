"""Training and test sources from Debian packages (``apt-get download`` + ``dpkg -x``).

No system install happens: each package's ``.deb`` is downloaded into ``DEST/debian/`` and
unpacked into ``DEST/debian/<package>/``. A ``.complete`` marker makes every step idempotent:
a second run skips what is already there. After unpacking, the sources are indexed into flat
folders of symlinks that the set builders take as input:

- ``DEST/scenes/``: scene photos (one file per wallpaper, its largest resolution; scikit-image
  sample photos are written here too), named ``<package>-<name>.<ext>``;
- ``DEST/stamps/``: cut-out objects with alpha (Tux Paint stamps, PNG);
- ``DEST/test-scenes/``: the OpenCV sample images, kept as independent test data;
- ``DEST/negatives/<family>/``: non-cry recordings of the ``negatives`` group (game music and
  tracker modules, game and desktop effects, city ambience, animal voices and household sounds
  from Scratch's sound library; since round 6 human non-cry voices from Hedgewars and animal
  and everyday sounds from GCompris; since round 7 animal calls from Widelands, OpenClonk and
  Wesnoth and their characters' voices), one file per recording named ``<package>-<name>``:
  symlinks to the package's ``.ogg``/``.wav``/``.mp3``, tracker modules (``.it``,
  ``.s3m``, ``.mod``, ``.xm``) rendered to 16 kHz mono WAV by ffmpeg (first
  ``MODULE_SECONDS``), GCompris's recordings copied out of its Qt ``.rcc`` resource files,
  OpenClonk's out of its C4Group ``Sound.ocg``.
  Only the cry verifier's training and validation use them (:mod:`cribwatch.cry.negatives`);
  the cry sets' source lists do not change.

:func:`plan` checks everything a fetch will need (groups, ``DEST``, a local Donate-a-cry clone,
the tools) before anything is downloaded; :func:`fetch` then runs every part, goes on past a
part that fails and returns a :class:`FetchReport` (one message per part, the failures): it
never prints, and reports progress through :class:`cribwatch.progress.Progress`.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from cribwatch.data.donateacry import check_local_clone, fetch_donateacry
from cribwatch.errors import CribwatchError
from cribwatch.progress import Progress, report


@dataclass(frozen=True)
class Source:
    """One Debian package and what it is used for."""

    package: str
    group: str
    licence: str
    use: str


SOURCES: tuple[Source, ...] = (
    Source(
        "mate-backgrounds", "scenes", "GPL-2+ / CC-BY-SA (see its copyright file)", "scene photos"
    ),
    Source(
        "plasma-workspace-wallpapers",
        "scenes",
        "LGPL-3 / CC-BY-SA-4.0 (per wallpaper)",
        "scene photos",
    ),
    Source(
        "tuxpaint-stamps-default", "stamps", "GPL-2+", "cut-out objects with alpha; effect sounds"
    ),
    Source("ktuberling-data", "sounds", "GPL-2+", "spoken words, many languages"),
    Source("sound-theme-freedesktop", "sounds", "GPL-2+ / CC-BY-SA", "household alert sounds"),
    Source("supertux-data", "sounds", "GPL-3+ / CC-BY-SA", "music"),
    Source("espeak-ng", "sounds", "GPL-3+", "speech synthesis"),
    Source("espeak-ng-data", "sounds", "GPL-3+", "speech synthesis voices"),
    Source("oxygen-sounds", "negatives", "LGPL-3+", "desktop alert sounds"),
    Source("lbreakout2-data", "negatives", "GPL-2+", "game effects"),
    Source("kgoldrunner", "negatives", "GPL-2+", "game effects"),
    Source("pingus-data", "negatives", "GPL-2+", "game voices and effects, tracker music"),
    Source("tuxtype-data", "negatives", "GPL-2", "spoken words, effects, tracker music"),
    Source("frozen-bubble-data", "negatives", "GPL-2", "game music and effects"),
    Source("extremetuxracer-data", "negatives", "GPL-2+", "game music and effects"),
    Source(
        "lincity-ng-data",
        "negatives",
        "GPL-2+ / CC-BY-SA",
        "city ambience (crowds, traffic), music",
    ),
    Source(
        "scratch",
        "negatives",
        "CC-BY-SA-3.0 (Media: MIT Scratch 1.4 sound library)",
        "animal voices, household and human non-cry sounds",
    ),
    Source(
        "hedgewars-data",
        "negatives",
        "GFDL-1.3 (Data/Sounds) / GPL-2 (the rest)",
        "human non-cry voices (shouts, laughs, ows, coughs, taunts), game effects, music",
    ),
    Source(
        "gcompris-qt-data",
        "negatives",
        "GPL-3+ (win.wav CC-BY-3.0)",
        "farm animal voices, everyday sound effects, world music (inside Qt .rcc files)",
    ),
    Source("blinken", "negatives", "GPL-2+", "game effects"),
    Source(
        "widelands-data",
        "negatives",
        "GPL-2+ (sounds; some CC-BY-SA-3.0, see its copyright file)",
        "animal voices (birds, wolves, coyotes, deer, moose, boar, frogs, farm animals, ducks)",
    ),
    Source(
        "openclonk-data",
        "negatives",
        "CC-BY-3.0 / CC0 (game content, see its copyright file) / ISC (engine)",
        "creature and animal voices, character voices (inside its C4Group .ocg files)",
    ),
    Source(
        "wesnoth-1.16-data",
        "negatives",
        "GPL-2+",
        "animal voices (wolves, horses, bats, gryphons, boars, snakes, birds), unit voices",
    ),
    Source("opencv-doc", "test", "Apache-2.0 / BSD-3-Clause", "independent test images"),
    Source("asterisk-core-sounds-en-wav", "test", "CC-BY-SA-3.0", "independent test sounds"),
    Source("asterisk-moh-opsound-wav", "test", "CC-BY-SA-3.0", "independent test music"),
)
"""Every package ``cribwatch data fetch`` knows, by group. Test packages are never used for
training or tuning."""

GROUPS = ("scenes", "stamps", "sounds", "negatives", "test")
DEFAULT_GROUPS = ("scenes", "stamps", "sounds", "negatives")
NEGATIVE_FAMILIES = (
    "music",
    "game-effects",
    "alerts",
    "ambience",
    "animals",
    "household",
    "voices",
)
"""Source families of the ``negatives`` group (see :func:`negative_family`)."""
AUDIO_EXTS = (".ogg", ".oga", ".wav")
MODULE_EXTS = (".it", ".s3m", ".mod", ".xm")
MODULE_SECONDS = 120
"""Tracker modules are rendered up to this long."""
SCENE_EXTS = (".jpg", ".jpeg", ".png")
MIN_SCENE_SIDE = 480
"""Scene photos with a shorter side below this are skipped (icons, thumbnails)."""
SKIMAGE_SCENES = ("astronaut", "chelsea", "coffee", "rocket")
"""scikit-image's bundled colour sample photos added to the scenes (public domain / CC0)."""

Notes = Callable[[str], None]
"""Where a part's one-line outcome goes (``FetchReport.messages.append`` in :func:`fetch`)."""


def _ignore(message: str) -> None:
    return None


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)


def fetch_package(pkg: str, dest: Path, notes: Notes = _ignore) -> Path:
    """Download and unpack one Debian package into ``dest/debian/<pkg>``; idempotent. The
    outcome (fetched, already present) goes to ``notes`` as one line."""
    root = dest.resolve() / "debian"
    target = root / pkg
    marker = target / ".complete"
    if marker.exists():
        notes(f"{pkg}: already present")
        return target
    for tool in ("apt-get", "dpkg"):
        if shutil.which(tool) is None:
            raise CribwatchError(
                f"{pkg}: cannot fetch, '{tool}' is not on PATH (Debian/Ubuntu needed)"
            )
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root, prefix=f".{pkg}.") as tmp:
        tmp_path = Path(tmp)
        res = _run(["apt-get", "download", pkg], tmp_path)
        debs = sorted(tmp_path.glob("*.deb"))
        if res.returncode != 0 or not debs:
            why = (res.stderr.strip().splitlines() or ["no .deb downloaded"])[-1]
            raise CribwatchError(f"{pkg}: apt-get download failed ({why})")
        unpack = tmp_path / "root"
        res = _run(["dpkg", "-x", str(debs[0]), str(unpack)], tmp_path)
        if res.returncode != 0:
            why = (res.stderr.strip().splitlines() or ["unknown error"])[-1]
            raise CribwatchError(f"{pkg}: dpkg -x failed ({why})")
        (unpack / ".complete").write_text(debs[0].name + "\n")
        if target.exists():
            shutil.rmtree(target)
        unpack.rename(target)
    size = sum(f.stat().st_size for f in target.rglob("*") if f.is_file()) / 1e6
    notes(f"{pkg}: fetched ({size:.0f} MB)")
    return target


MIN_SCENE_CHROMA = 12.0
"""Scenes whose mean colour spread max(R,G,B) - min(R,G,B) (0-255) is below this are skipped:
grey wallpapers and transparent overlays are no colour references."""


def _is_colour_photo(path: Path) -> bool:
    try:
        with Image.open(path) as im:
            im.draft("RGB", (512, 512))
            im.thumbnail((256, 256))
            rgb = np.asarray(im.convert("RGB"), dtype=np.float32)
    except OSError:
        return False
    chroma = float((rgb.max(axis=2) - rgb.min(axis=2)).mean())
    return chroma >= MIN_SCENE_CHROMA and float(rgb.mean(axis=2).std()) >= 8.0


def _image_side(path: Path) -> int:
    try:
        with Image.open(path) as im:
            return min(im.size)
    except OSError:
        return 0


def _link(src: Path, dst: Path) -> None:
    if dst.is_symlink() or dst.exists():
        dst.unlink()
    dst.symlink_to(src.resolve())


def _best_per_group(files: Iterable[Path], key: Callable[[Path], str]) -> dict[str, Path]:
    best: dict[str, tuple[int, Path]] = {}
    for f in files:
        side = _image_side(f)
        if side < MIN_SCENE_SIDE or not _is_colour_photo(f):
            continue
        k = key(f)
        if k not in best or side > best[k][0]:
            best[k] = (side, f)
    return {k: v[1] for k, v in best.items()}


def index_scenes(dest: Path) -> int:
    """Flat ``dest/scenes`` of symlinks, one per scene (largest resolution kept)."""
    out = dest / "scenes"
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    mate = dest / "debian" / "mate-backgrounds"
    if mate.exists():
        files = [p for p in mate.rglob("*") if p.suffix.lower() in SCENE_EXTS]

        # 'Elephants', 'Elephants_3840x2160' ... are one scene at several resolutions.
        def scene(p: Path) -> str:
            return re.sub(r"_\d+x\d+$", "", p.stem)

        for name, f in _best_per_group(files, scene).items():
            _link(f, out / f"mate-{name}{f.suffix.lower()}")
            n += 1
    plasma = dest / "debian" / "plasma-workspace-wallpapers"
    if plasma.exists():
        files = [
            p for p in plasma.rglob("*") if p.suffix.lower() in SCENE_EXTS and "contents" in p.parts
        ]

        def wallpaper(p: Path) -> str:
            parts = p.parts
            return parts[parts.index("contents") - 1]

        for name, f in _best_per_group(files, wallpaper).items():
            _link(f, out / f"plasma-{name}{f.suffix.lower()}")
            n += 1
    try:
        from skimage import data as skdata  # extra: train
    except ImportError:  # the runtime install has no scikit-image: no sample photos
        return n
    for name in SKIMAGE_SCENES:
        dst = out / f"skimage-{name}.png"
        if not dst.exists():
            arr = np.asarray(getattr(skdata, name)())
            if arr.ndim == 3 and arr.shape[2] >= 3:
                Image.fromarray(arr[..., :3]).save(dst)
        n += int(dst.exists())
    return n


def index_stamps(dest: Path) -> int:
    """Flat ``dest/stamps`` of symlinks to Tux Paint PNG stamps that carry alpha."""
    src = dest / "debian" / "tuxpaint-stamps-default"
    out = dest / "stamps"
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for f in sorted(src.rglob("*.png")):
        try:
            with Image.open(f) as im:
                ok = im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info
                ok = ok and min(im.size) >= 48
        except OSError:
            ok = False
        if ok:
            _link(f, out / f"{f.parent.name}-{f.name}")
            n += 1
    return n


def index_test_scenes(dest: Path) -> int:
    """Flat ``dest/test-scenes`` of the OpenCV documentation's colour sample images."""
    src = dest / "debian" / "opencv-doc"
    out = dest / "test-scenes"
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for f in sorted(src.rglob("*")):
        if f.suffix.lower() in SCENE_EXTS and "examples" in f.parts and _image_side(f) >= 240:
            _link(f, out / f"opencv-{f.stem}{f.suffix.lower()}")
            n += 1
    return n


def negative_family(package: str, path: Path) -> str | None:
    """The family of one recording of a ``negatives`` package (None: not used)."""
    ext = path.suffix.lower()
    if package == "scratch":
        return _scratch_family(path)
    if package == "gcompris-qt-data":
        return _gcompris_family(path)
    if package == "openclonk-data":
        return _openclonk_family(path)
    if package == "widelands-data":
        return _widelands_family(path)
    if package == "wesnoth-1.16-data":
        return _wesnoth_family(path)
    if ext in MODULE_EXTS:
        return "music"
    if ext not in AUDIO_EXTS:
        return None
    name = path.name.lower()
    if package == "oxygen-sounds":
        return "alerts"
    if package == "lincity-ng-data":
        return "music" if ext == ".ogg" else "ambience"
    if package == "frozen-bubble-data":
        return "music" if "zik" in name else "game-effects"
    if package in ("extremetuxracer-data", "tuxtype-data"):
        return "music" if ext == ".ogg" and "music" in path.parts else "game-effects"
    if package == "hedgewars-data":
        if "voices" in path.parts:
            return "voices"
        return "music" if "Music" in path.parts else "game-effects"
    return "game-effects"


def negative_name(package: str, path: Path) -> str:
    """The file name of one recording in ``DEST/negatives/<family>/``: ``<package>-<name>``;
    Hedgewars's voice packs share their file names, so theirs carry the pack
    (``hedgewars-data-<pack>-<name>``), and so do OpenClonk's creatures and Widelands's
    critters (``<package>-<folder>-<name>``)."""
    if package == "hedgewars-data" and "voices" in path.parts:
        return f"{package}-{path.parent.name}-{path.name}"
    if package in ("openclonk-data", "widelands-data"):
        return f"{package}-{path.parent.stem}-{path.name}"
    return f"{package}-{path.name}"


def _openclonk_family(path: Path) -> str | None:
    """OpenClonk's sounds (``path``: the name inside ``Sound.ocg``, see :func:`c4group_files`):
    its creatures (``Animals.ocg``: bats, chippies, fish, mooqs, pukas, wipfs, monsters) ->
    animals; the Clonks' character voices (``Clonk.ocg/Skin.ocg``) -> voices; the rest unused."""
    if path.suffix.lower() not in AUDIO_EXTS:
        return None
    if path.parts[:1] == ("Animals.ocg",):
        return "animals"
    if path.parts[:2] == ("Clonk.ocg", "Skin.ocg"):
        return "voices"
    return None


WIDELANDS_FARM_ANIMALS = ("donkey", "farm_animal", "horse", "ox", "sheep")


def _widelands_family(path: Path) -> str | None:
    """Widelands: only its animal sounds (``data/sound/animals``, the farm animals of
    ``data/sound/farm``, the critters of ``data/world/critters``) -> animals."""
    if path.suffix.lower() not in AUDIO_EXTS:
        return None
    parts = path.parts
    if "sound" in parts and path.parent.name == "animals":
        return "animals"
    if "sound" in parts and path.parent.name == "farm":
        return "animals" if path.stem.lower().startswith(WIDELANDS_FARM_ANIMALS) else None
    if "critters" in parts:
        return "animals"
    return None


WESNOTH_ANIMALS = ("wolf-", "horse-", "bat-", "gryphon-", "tusker-", "hiss", "birds")
WESNOTH_VOICES = (
    "human-", "dwarf-", "elf-", "orc-", "goblin-", "troll-", "ogre-", "mermaid-", "mermen-",
    "groan", "ugg", "wail",
)  # fmt: skip


def _wesnoth_family(path: Path) -> str | None:
    """Wesnoth's unit sounds (``data/core/sounds``): animals (wolves, horses, bats, gryphons,
    tuskers, snakes' hisses, the birds of its ambient loops) -> animals; humanoid units' hit and
    death cries, groans and wails -> voices; weapons, magic, interface and the rest unused."""
    if path.suffix.lower() not in AUDIO_EXTS or "sounds" not in path.parts:
        return None
    name = path.name.lower()
    if name.startswith(WESNOTH_ANIMALS):
        return "animals"
    if name.startswith(WESNOTH_VOICES):
        return "voices"
    return None


def _gcompris_family(path: Path) -> str | None:
    """GCompris's recordings, read from inside its Qt resource files (``path``: the name
    inside an ``.rcc``, see :func:`rcc_files`): the farm animals and the barks of its sound
    memory game -> animals; that game's other everyday sounds (doors, rain, trains, applause,
    a heartbeat) -> household; its world-music clips -> music; everything else unused."""
    ext = path.suffix.lower()
    if ext not in AUDIO_EXTS:
        return None
    parts = path.parts
    if "explore_farm_animals" in parts:
        return "animals"
    if "explore_world_music" in parts:
        return "music"
    if "memory-sound" in parts:
        if "guitar" in path.stem.lower():
            return "music"
        return "animals" if "bark" in path.stem.lower() else "household"
    return None


def rcc_files(blob: bytes) -> list[tuple[str, bytes | None]]:
    """``(path, bytes)`` of every file inside a Qt resource file (``.rcc``, versions 1-3;
    zlib-compressed entries are inflated, zstd ones (Qt 6) come back as None).
    Raises CribwatchError on anything that is not a well-formed ``.rcc``."""
    try:
        return _rcc_walk(blob)
    except (struct.error, zlib.error, IndexError, UnicodeDecodeError, RecursionError) as e:
        raise CribwatchError(f"not a readable Qt resource file ({e})") from e


def _rcc_walk(blob: bytes) -> list[tuple[str, bytes | None]]:
    if blob[:4] != b"qres":
        raise CribwatchError("not a Qt resource file (no 'qres' header)")
    version, tree, data, names = struct.unpack(">IIII", blob[4:20])
    entry = 22 if version >= 2 else 14
    out: list[tuple[str, bytes | None]] = []

    def name(off: int) -> str:
        (n,) = struct.unpack(">H", blob[names + off : names + off + 2])
        return blob[names + off + 6 : names + off + 6 + 2 * n].decode("utf-16-be")

    def walk(i: int, prefix: str, depth: int) -> None:
        if depth > 64:
            raise CribwatchError("Qt resource tree too deep")
        b = tree + i * entry
        noff, flags = struct.unpack(">IH", blob[b : b + 6])
        nm = name(noff) if i else ""
        if flags & 2:
            count, first = struct.unpack(">II", blob[b + 6 : b + 14])
            for k in range(count):
                walk(first + k, f"{prefix}{nm}/" if nm else prefix, depth + 1)
            return
        (doff,) = struct.unpack(">I", blob[b + 10 : b + 14])
        (size,) = struct.unpack(">I", blob[data + doff : data + doff + 4])
        raw: bytes | None = blob[data + doff + 4 : data + doff + 4 + size]
        if flags & 1 and raw is not None:
            raw = zlib.decompress(raw[4:])
        elif flags & 4:
            raw = None
        out.append((prefix + nm, raw))

    walk(0, "", 0)
    return out


SCRATCH_EXCLUDE = ("babycry",)
"""Scratch sounds never used as negatives (a cry is no negative)."""


def _scratch_family(path: Path) -> str | None:
    """Scratch's sound library: ``Animal`` -> animals; ``Effects`` and ``Human`` (never its
    baby cry) -> household; everything else (instruments, loops, vocals, electronic) unused."""
    if path.suffix.lower() not in (".wav", ".mp3") or "Sounds" not in path.parts:
        return None
    if path.stem.lower() in SCRATCH_EXCLUDE:
        return None
    folder = path.parent.name
    if folder == "Animal":
        return "animals"
    if folder in ("Effects", "Human"):
        return "household"
    return None


def _render_module(src: Path, dst: Path) -> bool:
    if shutil.which("ffmpeg") is None:
        return False
    tmp = dst.with_name(f".{dst.name}.tmp.wav")
    res = _run(
        [
            "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(src),
            "-t", str(MODULE_SECONDS), "-ac", "1", "-ar", "16000", str(tmp),
        ],
        dst.parent,
    )  # fmt: skip
    if res.returncode != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        return False
    tmp.rename(dst)
    return True


def index_negatives(dest: Path) -> int:
    """``dest/negatives/<family>/``: one file per recording of the fetched ``negatives``
    packages (symlinks; tracker modules rendered by ffmpeg, skipped without it)."""
    out = dest / "negatives"
    n = 0
    for src in SOURCES:
        if src.group != "negatives":
            continue
        root = dest / "debian" / src.package
        if not (root / ".complete").exists():
            continue
        if src.package == "gcompris-qt-data":
            n += _index_rcc(src.package, root, out)
            continue
        if src.package == "openclonk-data":
            n += _index_c4group(src.package, root, out)
            continue
        for f in sorted(root.rglob("*")):
            fam = negative_family(src.package, f)
            if fam is None or not f.is_file():
                continue
            d = out / fam
            d.mkdir(parents=True, exist_ok=True)
            if f.suffix.lower() in MODULE_EXTS:
                dst = d / f"{src.package}-{f.stem}.wav"
                n += int(dst.is_file() or _render_module(f, dst))
            else:
                _link(f, d / negative_name(src.package, f))
                n += 1
    return n


def _index_rcc(package: str, root: Path, out: Path) -> int:
    """The recordings inside a package's Qt resource files, written (not linked) as
    ``out/<family>/<package>-<name>``; an unreadable ``.rcc`` is skipped."""
    return _index_members(
        package,
        sorted(root.rglob("*.rcc")),
        rcc_files,
        lambda inner: f"{package}-{inner.name}",
        out,
    )


def _index_members(
    package: str,
    archives: list[Path],
    read: Callable[[bytes], Sequence[tuple[str, bytes | None]]],
    name: Callable[[Path], str],
    out: Path,
) -> int:
    """The recordings inside ``archives`` (``read`` lists their ``(path, bytes)`` members),
    each written atomically as ``out/<family>/<name(path)>`` where :func:`negative_family`
    names a family; an unreadable archive is skipped. Returns how many were indexed."""
    n = 0
    for f in archives:
        try:
            entries = read(f.read_bytes())
        except (CribwatchError, OSError):
            continue
        for inner, raw in entries:
            fam = negative_family(package, Path(inner))
            if fam is None or raw is None:
                continue
            dst = out / fam / name(Path(inner))
            if not dst.is_file():
                dst.parent.mkdir(parents=True, exist_ok=True)
                tmp = dst.with_name(f".{dst.name}.tmp")
                tmp.write_bytes(raw)
                tmp.rename(dst)
            n += 1
    return n


C4GROUP_MAGIC = b"RedWolf Design GrpFolder"
C4GROUP_HEADER = 204
C4GROUP_ENTRY = 316


def _c4_unscramble(head: bytes) -> bytes:
    b = bytearray(head)
    for i in range(0, len(b) - 2, 3):
        b[i], b[i + 2] = b[i + 2], b[i]
    return bytes(x ^ 0xED for x in b)


def c4group_files(blob: bytes) -> list[tuple[str, bytes]]:
    """``(path, bytes)`` of every file inside an OpenClonk/Clonk group file (``.ocg``,
    ``.ocd``: gzip with the magic ``1e 8c``, a scrambled 204-byte header, 316-byte entries;
    child groups are walked). Raises CribwatchError on anything else."""
    try:
        if blob[:2] == b"\x1e\x8c":
            blob = zlib.decompress(b"\x1f\x8b" + blob[2:], 16 + zlib.MAX_WBITS)
        out: list[tuple[str, bytes]] = []
        _c4_walk(blob, "", 0, out)
        return out
    except (struct.error, zlib.error, UnicodeDecodeError) as e:
        raise CribwatchError(f"not a readable C4Group file ({e})") from e


def _c4_walk(d: bytes, prefix: str, depth: int, out: list[tuple[str, bytes]]) -> None:
    head = _c4_unscramble(d[:C4GROUP_HEADER])
    if depth > 16 or not head.startswith(C4GROUP_MAGIC):
        raise CribwatchError("not a C4Group (bad header or too deep)")
    (n,) = struct.unpack("<i", head[36:40])
    if n < 0 or C4GROUP_HEADER + n * C4GROUP_ENTRY > len(d):
        raise CribwatchError("C4Group entry table out of range")
    base = C4GROUP_HEADER + n * C4GROUP_ENTRY
    for k in range(n):
        e = d[C4GROUP_HEADER + k * C4GROUP_ENTRY : C4GROUP_HEADER + (k + 1) * C4GROUP_ENTRY]
        name = e[:260].split(b"\0")[0].decode("latin-1")
        _packed, child, size, _r1, off = struct.unpack("<5i", e[260:280])
        if off < 0 or size < 0 or base + off + size > len(d):
            raise CribwatchError(f"C4Group entry {name!r} out of range")
        raw = d[base + off : base + off + size]
        if child:
            _c4_walk(raw, f"{prefix}{name}/", depth + 1, out)
        else:
            out.append((prefix + name, raw))


def _index_c4group(package: str, root: Path, out: Path) -> int:
    """The recordings inside a package's ``Sound.ocg`` group files, written (not linked) as
    ``out/<family>/<package>-<folder>-<name>``; an unreadable group is skipped."""
    return _index_members(
        package,
        sorted(root.rglob("Sound.ocg")),
        c4group_files,
        lambda inner: negative_name(package, inner),
        out,
    )


@dataclass(frozen=True)
class FetchPlan:
    """What :func:`fetch` will do, checked by :func:`plan` before any download."""

    dest: Path
    groups: tuple[str, ...]
    packages: tuple[str, ...]
    donateacry: bool
    """Whether the Donate-a-cry corpus is a part of this fetch."""
    donateacry_local: Path | None = None


@dataclass
class FetchReport:
    """The outcome of :func:`fetch`: one line per part, the parts that failed, index counts."""

    messages: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    """One line per failed part (``<part>: why``)."""
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed


def _check_dest(dest: Path) -> Path:
    if dest.exists() and not dest.is_dir():
        raise CribwatchError(f"--dest {dest}: not a folder")
    probe = dest
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise CribwatchError(f"--dest {dest}: cannot write ({probe} is not writable)")
    return dest


def plan(
    dest: Path,
    groups: Iterable[str] = DEFAULT_GROUPS,
    donateacry: Path | None = None,
) -> FetchPlan:
    """Check a fetch before anything is downloaded: the groups, ``dest`` (a folder that can be
    written), the local Donate-a-cry clone ``donateacry`` (``--donateacry``) and the tools the
    parts need (apt-get and dpkg for packages not yet fetched). The corpus is a part when
    ``sounds`` is among the groups or ``donateacry`` is given."""
    groups = tuple(groups)
    if not groups:
        raise CribwatchError(f"--only: no group given (choose from {', '.join(GROUPS)})")
    for g in groups:
        if g not in GROUPS:
            raise CribwatchError(f"--only: unknown group {g!r} (choose from {', '.join(GROUPS)})")
    _check_dest(dest)
    if donateacry is not None:
        check_local_clone(donateacry)
    packages = tuple(s.package for s in SOURCES if s.group in groups)
    todo = [p for p in packages if not (dest / "debian" / p / ".complete").exists()]
    for tool in ("apt-get", "dpkg"):
        if todo and shutil.which(tool) is None:
            raise CribwatchError(
                f"{tool}: not on PATH; fetching {todo[0]} needs Debian/Ubuntu's package tools"
            )
    return FetchPlan(
        dest=dest,
        groups=groups,
        packages=packages,
        donateacry="sounds" in groups or donateacry is not None,
        donateacry_local=donateacry,
    )


def fetch(
    dest: Path | FetchPlan,
    groups: Iterable[str] = DEFAULT_GROUPS,
    progress: Progress | None = None,
    *,
    donateacry: Path | None = None,
) -> FetchReport:
    """Fetch every package of ``groups`` into ``dest``, index them, bring the Donate-a-cry
    corpus (from ``donateacry``, else by git clone) when it is a part. Everything is checked
    first (:func:`plan`; pass a plan to skip that); a part that fails does not stop the others
    and is listed in the report's ``failed``. ``progress(done, total)`` after each part."""
    p = dest if isinstance(dest, FetchPlan) else plan(dest, groups, donateacry)
    out = p.dest.resolve()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CribwatchError(f"--dest {p.dest}: cannot write ({exc.strerror})") from exc
    res = FetchReport()
    total = len(p.packages) + int(p.donateacry) + 1
    done = 0
    for pkg in p.packages:
        try:
            fetch_package(pkg, out, res.messages.append)
        except CribwatchError as exc:
            res.failed.append(exc.message)
        done += 1
        report(progress, done, total)
    if "scenes" in p.groups:
        res.counts["scenes"] = index_scenes(out)
    if "stamps" in p.groups:
        res.counts["stamps"] = index_stamps(out)
    if "negatives" in p.groups:
        res.counts["negatives"] = index_negatives(out)
    if "test" in p.groups:
        res.counts["test-scenes"] = index_test_scenes(out)
    for k, v in res.counts.items():
        res.messages.append(f"indexed {v} files into {out / k}")
    done += 1
    report(progress, done, total)
    if p.donateacry:
        try:
            res.messages.append(fetch_donateacry(out, p.donateacry_local))
        except CribwatchError as exc:
            res.failed.append(exc.message)
        done += 1
        report(progress, done, total)
    return res
