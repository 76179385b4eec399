"""Property tests (Hypothesis) of the validated config layer and the model-card schema.

``cribwatch.cards.from_mapping`` is the one door for every config a user can hand in: whatever
JSON arrives, for whatever key, it either builds the config or raises CribwatchError (one line
naming the source), and whatever it accepts survives ``to_mapping`` -> JSON -> ``from_mapping``.
The card schema: every required key is required, wrong values are CribwatchError, cards written
by ``write_card`` read back equal, and every shipped card validates.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cribwatch import cards
from cribwatch.errors import CribwatchError

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Any value ``json.loads`` can return (NaN and infinities included: Python's json accepts them).
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=8,
)


@dataclass(frozen=True)
class Sample:
    """Every field type the project's configs use, with bounds, choices and a relation."""

    BOUNDS: ClassVar[dict[str, tuple[float | None, float | None]]] = {
        "count": (1, 64),
        "limit": (1, None),
        "rate": (0.0, 1.0),
        "maybe": (None, 0.0),
    }
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {"tags": ("a", "b", "c"), "name": ("x", "y")}

    flag: bool = True
    count: int = 2
    limit: int = 3
    rate: float = 0.5
    name: str = "x"
    tags: tuple[str, ...] = ("a",)
    values: tuple[float, ...] = (1.0, 2.0)
    maybe: float | None = None
    side: int | None = 256
    mode: Literal["local", "global", "none"] = "global"

    def __post_init__(self) -> None:
        if self.count > self.limit:
            raise CribwatchError(f"count ({self.count}) must not exceed limit ({self.limit})")


def _real_configs() -> list[type]:
    """The project's own validated configs (torch-free modules only)."""
    from cribwatch.color import config as color_config
    from cribwatch.cry.postprocess import FilterConfig

    found: list[type] = [FilterConfig]
    for obj in vars(color_config).values():
        if dataclasses.is_dataclass(obj) and isinstance(obj, type) and hasattr(obj, "BOUNDS"):
            found.append(obj)
    return found


CONFIGS = [Sample, *_real_configs()]


def _field_names(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls) if f.init]


def _assert_one_line(err: CribwatchError, source: str) -> None:
    assert "\n" not in err.message and err.message == str(err)
    assert source in err.message, err.message


@st.composite
def mappings(draw: st.DrawFn, cls: type) -> dict[str, Any]:
    """Some of ``cls``'s keys (and now and then an unknown one) with arbitrary JSON values."""
    names = _field_names(cls)
    keys = draw(st.lists(st.sampled_from(names), max_size=4, unique=True))
    data = {k: draw(json_values) for k in keys}
    if draw(st.booleans()):
        data[draw(st.text(max_size=8))] = draw(json_values)
    return data


@pytest.mark.parametrize("cls", CONFIGS, ids=lambda c: c.__name__)
@SETTINGS
@given(data=st.data())
def test_from_mapping_raises_only_cribwatch_error(cls: type, data: st.DataObject) -> None:
    """Any JSON for any key: a config or one CribwatchError; what loads round-trips."""
    mapping = data.draw(mappings(cls))
    try:
        cfg = cards.from_mapping(cls, mapping, "cfg.json")
    except CribwatchError as err:
        _assert_one_line(err, "cfg.json")
        return
    assert isinstance(cfg, cls)
    for key, value in mapping.items():
        if key in cards.IGNORED_KEYS:
            continue
        got = getattr(cfg, key)
        assert not isinstance(got, list), f"{key}: a list left mutable in a frozen config"
        if isinstance(got, float):
            assert math.isfinite(got), f"{key}: non-finite number accepted"
        if isinstance(value, bool) or isinstance(got, bool):
            assert type(value) is type(got), f"{key}: {value!r} accepted as {got!r}"
    # whatever loads survives to_mapping -> JSON -> from_mapping unchanged
    text = json.dumps(cards.to_mapping(cfg), allow_nan=False)
    assert cards.from_mapping(cls, json.loads(text), "again.json") == cfg


@pytest.mark.parametrize("cls", CONFIGS, ids=lambda c: c.__name__)
@SETTINGS
@given(value=json_values)
def test_from_mapping_refuses_anything_but_an_object(cls: type, value: Any) -> None:
    if isinstance(value, dict):
        return
    with pytest.raises(CribwatchError) as err:
        cards.from_mapping(cls, value, "cfg.json")
    _assert_one_line(err.value, "cfg.json")


@pytest.mark.parametrize("cls", CONFIGS, ids=lambda c: c.__name__)
def test_defaults_round_trip_and_marker_ignored(cls: type) -> None:
    cfg = cls()
    body = {**cards.to_mapping(cfg), "written_by": "written by cribwatch"}
    assert cards.from_mapping(cls, json.loads(json.dumps(body)), "d.json") == cfg


valid_samples = st.builds(
    Sample,
    flag=st.booleans(),
    count=st.integers(1, 8),
    limit=st.integers(8, 10**6),
    rate=st.floats(0.0, 1.0),
    name=st.sampled_from(("x", "y")),
    tags=st.lists(st.sampled_from(("a", "b", "c")), max_size=3).map(tuple),
    values=st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=4).map(tuple),
    maybe=st.none() | st.floats(max_value=0.0, allow_nan=False, allow_infinity=False),
    side=st.none() | st.integers(),
    mode=st.sampled_from(("local", "global", "none")),
)


@SETTINGS
@given(cfg=valid_samples)
def test_valid_values_round_trip(cfg: Sample) -> None:
    assert cards.from_mapping(Sample, json.loads(json.dumps(cards.to_mapping(cfg))), "s") == cfg


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"rate": True}, "rate must be a number"),
        ({"count": 2.0}, "count must be an integer"),
        ({"rate": float("nan")}, "rate must be a finite number"),
        ({"rate": 1.5}, "rate must be in [0, 1]"),
        ({"tags": ["a", "zz"]}, "tags has unknown value 'zz'"),
        ({"tags": "a"}, "tags must be a list"),
        ({"thresh": 0.5}, "unknown key 'thresh'"),
        ({"count": 9, "limit": 8}, "count (9) must not exceed limit (8)"),
        ({"mode": "bogus"}, "mode must be one of"),
        ({"flag": "yes"}, "flag must be true or false"),
    ],
)
def test_from_mapping_names_the_key(data: dict[str, Any], words: str) -> None:
    with pytest.raises(CribwatchError) as err:
        cards.from_mapping(Sample, data, "cfg.json")
    assert err.value.message.startswith("cfg.json: ") and words in err.value.message


@dataclass(frozen=True)
class Fixed:
    widths: tuple[int, int, int, int] = (16, 32, 48, 96)
    pair: tuple[int, float] = (1, 0.5)


def test_fixed_length_tuples_are_checked() -> None:
    for bad in ([1], [1, 2, 3, 4, 5], []):
        with pytest.raises(CribwatchError, match="widths"):
            cards.from_mapping(Fixed, {"widths": bad}, "cfg.json")
    assert cards.from_mapping(Fixed, {"pair": [2, 0.25]}, "cfg.json").pair == (2, 0.25)


# ----------------------------------------------------------------------------- cards

REQUIRED = ("format", "version", "capability", "model", "weights", "architecture", "training",
            "licences")  # fmt: skip

valid_cards = st.fixed_dictionaries(
    {
        "format": st.just(cards.CARD_FORMAT),
        "version": st.just(cards.CARD_VERSION),
        "capability": st.sampled_from(cards.CAPABILITIES),
        "model": st.text(min_size=1, max_size=20),
        "weights": st.text(min_size=1, max_size=20),
        "architecture": st.dictionaries(st.text(max_size=6), json_values, max_size=3),
        "training": st.dictionaries(st.text(max_size=6), json_values, max_size=3),
        "licences": st.dictionaries(
            st.text(max_size=6), st.text(max_size=10), min_size=1, max_size=3
        ),  # fmt: skip
    },
    optional={"metrics": json_values, "params": st.integers(0, 10**9)},
)


@SETTINGS
@given(card=valid_cards)
def test_valid_cards_validate(card: dict[str, Any]) -> None:
    assert cards.validate_card(card, "c.json") is card


@SETTINGS
@given(card=valid_cards, key=st.sampled_from(REQUIRED), value=json_values, drop=st.booleans())
def test_broken_cards_raise_only_cribwatch_error(
    card: dict[str, Any], key: str, value: Any, drop: bool
) -> None:
    broken = dict(card)
    if drop:
        del broken[key]
    else:
        broken[key] = value
    try:
        cards.validate_card(broken, "c.json")
    except CribwatchError as err:
        _assert_one_line(err, "c.json")
        if drop:
            assert key in err.message, err.message
        return
    assert not drop, f"a card without {key!r} validated"


@SETTINGS
@given(value=json_values)
def test_card_must_be_an_object(value: Any) -> None:
    if isinstance(value, dict):
        return
    with pytest.raises(CribwatchError) as err:
        cards.validate_card(value, "c.json")
    _assert_one_line(err.value, "c.json")


@settings(SETTINGS, max_examples=20)
@given(card=valid_cards)
def test_written_cards_read_back(card: dict[str, Any], tmp_path_factory: Any) -> None:
    path = tmp_path_factory.mktemp("card") / "m.json"
    body = {k: v for k, v in card.items() if k not in ("format", "version")}
    body = json.loads(json.dumps(body))  # what JSON can hold (NaN stays NaN)
    cards.write_card(path, body)
    back = cards.read_card(path, card["capability"])
    assert back["written_by"] == "written by cribwatch"
    for key in REQUIRED:
        assert json.dumps(back[key], sort_keys=True) == json.dumps(
            {**body, "format": cards.CARD_FORMAT, "version": cards.CARD_VERSION}[key],
            sort_keys=True,
        )
    other = next(c for c in cards.CAPABILITIES if c != card["capability"])
    with pytest.raises(CribwatchError, match=f"where a {other} model is needed"):
        cards.read_card(path, other)


def test_write_card_refuses_an_invalid_card(tmp_path: Path) -> None:
    card = {"capability": "sonar", "model": "m", "weights": "m.pt", "architecture": {},
            "training": {}, "licences": {"data": "CC0"}}  # fmt: skip
    with pytest.raises(CribwatchError, match="c.json: .* at capability"):
        cards.write_card(tmp_path / "c.json", card)
    assert not (tmp_path / "c.json").exists()


@pytest.mark.parametrize(
    "card", sorted((ROOT / "cribwatch" / "weights").glob("*.json")), ids=lambda p: p.name
)
def test_shipped_cards_validate(card: Path) -> None:
    body = cards.read_card(card)
    assert (card.parent / body["weights"]).is_file(), f"{card.name}: weights file missing"
    assert cards.card_path(card.parent / body["weights"]) == card
