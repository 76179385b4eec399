"""The live pipeline: a source's video and audio through the three front desks.

Threads (decoding never waits for a stage):

* **reader** (:class:`~cribwatch.monitor.source.StreamReader`, one per source): decodes and
  hands each video frame to a one-slot mailbox (the newest frame replaces an unprocessed one,
  which is counted as dropped) and each audio block to an unbounded queue (never dropped);
* **video**: takes the newest frame: orientation, day/night (IR frames are grey), colour at
  night with the day reference (:class:`cribwatch.color.api.Colorizer`), pose and the
  roll-over detector (:class:`cribwatch.rollover.api.RolloverDetector`), JPEG for the page and
  the clips; every stage timed;
* **audio**: every sample, in order, through the cry detector
  (:class:`cribwatch.cry.api.CryDetector`);
* **dispatch**: records (:mod:`cribwatch.monitor.schema`) to the sinks (events file, MQTT,
  clips, the page, a callback), so a slow sink never holds a stage.

Stream times: the reader's (seconds, monotonic over reconnects). With a separate ``--audio``
source, audio times are that reader's own.
"""

from __future__ import annotations

import collections
import math
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Protocol, cast

import cv2
import numpy as np

from cribwatch.cards import check_fields
from cribwatch.color.align import (
    EDGE_PX,
    AlignConfig,
    Alignment,
    FillPlan,
    apply_fill_plan,
    fill_plan,
    structure_agreement,
)
from cribwatch.color.api import MAX_ALIGN_FRAMES, Colorizer, ReferenceBank, read_reference
from cribwatch.cry.api import DEFAULT_DETECTOR, CryDetector, load_filter_config, make_scorer
from cribwatch.cry.api import End as CryEnd
from cribwatch.errors import CribwatchError
from cribwatch.io import write_image
from cribwatch.monitor.clips import ClipRecorder
from cribwatch.monitor.schema import Record, from_cry, from_rollover
from cribwatch.monitor.source import SR, SourceConfig, StreamReader
from cribwatch.monitor.state import CameraState, save_state
from cribwatch.rollover.api import EventConfig, RolloverDetector
from cribwatch.rollover.pose import PoseBackend


class Sink(Protocol):
    def write(self, rec: Record) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class MonitorConfig:
    """What runs, and how finely it is measured."""

    colour: bool = True
    """Colour night frames with the day reference."""
    colour_align: bool = True
    """Register the day reference to the night view before colouring
    (:mod:`cribwatch.color.align`, as ``cribwatch color video`` does): the warp is estimated on
    the mean of the first :attr:`colour_align_frames` night frames (on a live stream in the
    background: those frames and the estimate's time are shown grey), checked every
    :attr:`colour_recheck_every` frames and estimated again when the view moved. A reference
    that does not match the view (another scene, another preset) is not used: the night
    frame is shown grey and ``health.colour_status`` says why. Off: the newest reference as
    it is (colour ghosts where the day and night views differ by a few pixels or more)."""
    colour_align_frames: int = 8
    """Night frames averaged into the frame the warp is estimated on (a static camera's
    frames differ by sensor noise; docs/results/color-camera.md, fourth pass)."""
    colour_recheck_every: int = 15
    """Every this many coloured frames the warped reference's structure agreement with the
    frame is compared with its value just after alignment; below half of it the view has
    moved and the warp is estimated again (0: never)."""
    colour_bank: int = 4
    """Day references kept per preset (the given or state file's one and those learned by
    day); at night the one that matches the view best after alignment is used."""
    colour_retry_s: float = 600.0
    """After a refusal (no reference matches the view), seconds of stream before the
    references are tried again (a new night, a moved view or a new reference retry at
    once)."""
    drop_frames: bool = True
    """Live: the newest frame is processed and older unprocessed ones dropped. Off (a recorded
    night, read as fast as it decodes): the reader waits, every frame is processed."""
    jpeg: bool = True
    """Encode the displayed frame (page, clips)."""
    jpeg_quality: int = 80
    max_pose_side: int = 640
    """Frames are scaled to at most this side before pose."""
    stats_window: int = 600
    """Per-stage timings kept for the percentiles (frames)."""
    timeline_s: float = 300.0
    """Seconds of cry score and posture the page's timeline holds."""
    alerts_kept: int = 200
    """Latest records kept for the page."""

    BOUNDS: ClassVar[dict[str, tuple[float, float]]] = {
        "jpeg_quality": (1, 100),
        "max_pose_side": (16, 8192),
        "stats_window": (1, 1_000_000),
        "timeline_s": (1.0, 86400.0),
        "alerts_kept": (1, 1_000_000),
        "colour_align_frames": (1, MAX_ALIGN_FRAMES),
        "colour_recheck_every": (0, 1_000_000),
        "colour_bank": (1, 64),
        "colour_retry_s": (0.0, 86400.0),
    }

    def __post_init__(self) -> None:
        check_fields(self)  # the rules of cribwatch.cards.from_mapping, for a config built in code


class StageTimer:
    """Per-stage latencies (ms) over the last ``window`` frames."""

    def __init__(self, window: int) -> None:
        self.window = window
        self.ms: dict[str, collections.deque[float]] = {}

    def add(self, stage: str, ms: float) -> None:
        d = self.ms.get(stage)
        if d is None:
            d = self.ms[stage] = collections.deque(maxlen=self.window)
        d.append(ms)

    def summary(self) -> dict[str, dict[str, float]]:
        out = {}
        for k, d in list(self.ms.items()):
            a = np.asarray(list(d))
            if a.size:
                out[k] = {
                    "p50_ms": round(float(np.percentile(a, 50)), 2),
                    "p90_ms": round(float(np.percentile(a, 90)), 2),
                    "n": int(a.size),
                }
        return out


class _FirstTap:
    """Wraps a cascade's first stage to keep its last window scores: the cascade's own score
    is 0 wherever the first stage did not reach its gate, so the page would show a flat line
    until a window is verified."""

    def __init__(self, first: Any) -> None:
        self.first = first
        self.last = 0.0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        s = np.asarray(self.first(x))
        if len(s):
            self.last = float(np.max(s))
        return s


class _ScoreTap:
    """Wraps the cry scorer to keep the last window scores (the page's timeline). It passes
    on whatever the scorer takes (its ``inputs``: log-mel windows, audio windows or both).
    For a two-stage scorer (one with ``first`` and ``gate``) it also keeps the first stage's
    score (``last_first``); for a single stage that is the same number as ``last``."""

    def __init__(self, scorer: Any) -> None:
        self.scorer = scorer
        self.inputs = str(getattr(scorer, "inputs", "logmel"))
        self.last = 0.0
        self.calls = 0
        self._first: _FirstTap | None = None
        if hasattr(scorer, "first") and hasattr(scorer, "gate"):
            self._first = _FirstTap(scorer.first)
            scorer.first = self._first

    @property
    def last_first(self) -> float:
        return self.last if self._first is None else self._first.last

    def __call__(self, *windows: np.ndarray) -> np.ndarray:
        s = np.asarray(self.scorer(*windows))
        if len(s):
            self.last = float(np.max(s))
        self.calls += 1
        return s


NEVER_S = 1e9
"""A hold no stream reaches (an alert switched off in the state file)."""


def event_config(state: CameraState) -> EventConfig:
    """The roll-over detector's timing with the camera's overrides (``None``: the default)."""
    cfg = EventConfig()
    if state.prone_limit_s is not None:
        cfg = replace(cfg, prone_limit_s=state.prone_limit_s)
    if state.nobody_s is not None:
        cfg = replace(cfg, nobody_hold_s=state.nobody_s if state.nobody_s > 0 else NEVER_S)
    return cfg


def is_ir_frame(rgb: np.ndarray, threshold: float) -> bool:
    """True when ``rgb`` is grey (an infrared frame): mean chroma (max - min of R, G, B over
    a subsampled frame, in [0, 1]) under ``threshold``."""
    small = rgb[::8, ::8].astype(np.int16)
    chroma = (small.max(axis=2) - small.min(axis=2)).mean() / 255.0
    return bool(chroma < threshold)


def orient(rgb: np.ndarray, rotation: int, mirrored: bool) -> np.ndarray:
    if mirrored:
        rgb = rgb[:, ::-1]
    if rotation:
        rgb = np.rot90(rgb, k=-(rotation // 90))
    return np.ascontiguousarray(rgb)


@dataclass
class Health:
    started_wall: float = field(default_factory=time.time)
    processed: int = 0
    dropped: int = 0
    received: int = 0
    audio_in: int = 0
    audio_done: int = 0
    mode: str = "unknown"
    posture: str = "unknown"
    cry_score: float = 0.0
    cry_first_score: float = 0.0
    """The first stage's score of a two-stage cry detector (the board CNN: it runs on every
    window, so the page's timeline follows it); ``cry_score`` is the detector's own."""
    last_frame_t: float = 0.0
    errors: int = 0
    last_error: str = ""
    alerts: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    """Records emitted so far, by type (the page keeps only the latest)."""
    fps_times: collections.deque[float] = field(
        default_factory=lambda: collections.deque(maxlen=64)
    )

    def fps(self) -> float:
        ts = list(self.fps_times)
        if len(ts) < 2 or ts[-1] == ts[0]:
            return 0.0
        return (len(ts) - 1) / (ts[-1] - ts[0])


def _u8(img: np.ndarray) -> np.ndarray:
    if img.dtype == np.uint8:
        return img
    return (np.clip(np.asarray(img, np.float32), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


@dataclass
class ColourChoice:
    """What an alignment of the reference bank to the night view decided."""

    warped: np.ndarray | None
    """The chosen reference resampled onto the night frame (uint8 RGB), or None: refused."""
    fill: FillPlan | None
    """The pixels the warped reference does not cover, to fill (:func:`fill_plan` with the
    edge-strip rule, :data:`~cribwatch.color.align.EDGE_PX`; None: nothing to fill)."""
    alignment: Alignment | None
    index: int = -1
    """Index of the chosen reference in the bank (oldest first)."""
    view: str = ""
    tried: int = 0
    """References tried."""
    ms: float = 0.0
    """Wall time of the choice (every reference aligned)."""
    reason: str = ""
    """Why none was used (empty when one was)."""

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"references": self.tried, "ms": round(self.ms, 1)}
        if self.alignment is not None and self.warped is not None:
            a = self.alignment.to_dict()
            out.update(reference=self.index, view=self.view, confidence=a["confidence"],
                       coverage=a["coverage"], shift_px=a["shift_px"], zoom=a["zoom"],
                       angle=a["angle"])  # fmt: skip
        else:
            out["reason"] = self.reason
        return out


class NightColour:
    """The monitor's colour stage: a bank of day references (:class:`ReferenceBank`: the
    given or state file's ones and the last :attr:`MonitorConfig.colour_bank` learned by day,
    per preset) and a :class:`Colorizer` that colours night frames with the one that matches
    the night view best after alignment, warped onto it.

    At each night, the first :attr:`MonitorConfig.colour_align_frames` frames are averaged and
    every held reference is aligned to the mean (``background``: on a worker thread, so
    decoding, pose and the roll-over detector never wait for it; otherwise inline, as a
    recorded night read frame by frame allows). Until then, and when no reference matches
    (``status`` ``refused: <reason>``), :meth:`night` returns None: the frame is shown grey,
    never painted with another scene's colours. Every :attr:`MonitorConfig.colour_recheck_every`
    coloured frames a cheap check (:func:`~cribwatch.color.align.structure_agreement`) tells
    when the view has moved (a preset, a bumped mount): the choice is made again. Pixels the
    warped reference does not cover take the colour of similar pixels nearby
    (:meth:`~cribwatch.color.align.FillPlan.fill_map`, recomputed every ``fill_every`` frames,
    applied in place by :func:`~cribwatch.color.align.apply_fill_plan`; uncovered edge strips
    up to :data:`~cribwatch.color.align.EDGE_PX` pixels wide keep the mirrored edge), as
    :class:`Colorizer` with ``align`` does. ``colour_align`` off: the newest reference as
    it is, no bank.

    :meth:`add` and :meth:`day` are called by the monitor's video thread, as is :meth:`night`.
    """

    def __init__(
        self,
        cfg: MonitorConfig,
        *,
        background: bool = True,
        align_config: AlignConfig | None = None,
        fill_every: int = 15,
    ) -> None:
        self.cfg = cfg
        self.background = background
        self.align_config = align_config or AlignConfig()
        self.fill_every = fill_every
        self.bank = ReferenceBank(per_view=cfg.colour_bank, cfg=self.align_config)
        self.newest: np.ndarray | None = None
        self.colorizer: Colorizer | None = None
        self.current: ColourChoice | None = None
        """The choice in use (None: aligning, refused or no reference)."""
        self.last: ColourChoice | None = None
        """The last choice made (accepted or refused)."""
        self.status = "no reference"
        self.realigned = 0
        """Choices made (each night, each moved view, each retry)."""
        self.refusals = 0
        self.view_moves = 0
        self.history: collections.deque[tuple[float, str]] = collections.deque(maxlen=20)
        """(stream time, status) of the last status changes."""
        self._notes: list[tuple[str, dict[str, Any]]] = []
        self._pending: list[tuple[np.ndarray, str]] = []
        self._bank_lock = threading.Lock()
        self._result_lock = threading.Lock()
        self._result: tuple[int, ColourChoice] | None = None
        self._job: threading.Thread | None = None
        self._epoch = 0
        self._acc: np.ndarray | None = None
        self._acc_n = 0
        self._keep = True
        self._baseline: float | None = None
        self._frames = 0
        self._fill: np.ndarray | None = None
        self._fill_age = 0
        self._refused_at: float | None = None

    # -------------------------------------------------------------- references

    def add(self, image: np.ndarray, view: str = "default") -> None:
        """Hold a new day reference (RGB) of ``view`` (the camera's preset)."""
        img = _u8(np.asarray(image))
        if img.ndim != 3 or img.shape[2] != 3:
            raise CribwatchError(f"a day reference must be RGB (H, W, 3), got shape {img.shape}")
        self.newest = img
        if not self.cfg.colour_align:
            if self.colorizer is not None:
                self.colorizer.set_reference(img)
        else:
            self._pending.append((img, str(view)))
            self._apply_pending()
        if self.status == "no reference":
            self._set_status(None, "ready")

    def _apply_pending(self) -> None:
        """Move new references into the bank unless a choice is using it right now."""
        if not self._pending or not self._bank_lock.acquire(blocking=False):
            return
        try:
            for img, view in self._pending:
                self.bank.add(img, view=view)
            self._pending.clear()
        finally:
            self._bank_lock.release()

    def day(self) -> None:
        """The camera switched to day: the next night chooses and aligns again (a choice
        still running is let finish and ignored)."""
        self._epoch += 1
        self.current = None
        self._acc, self._acc_n = None, 0
        self._keep = True
        self._refused_at = None
        if self.newest is not None:
            self._set_status(None, "ready")

    # -------------------------------------------------------------- night frames

    def night(self, t: float, grey: np.ndarray) -> np.ndarray | None:
        """The colour frame (H, W, 3) float32 of the grey night frame ``grey`` (uint8), or
        None when it is to be shown grey (no reference, aligning, refused)."""
        if self.newest is None:
            self._set_status(t, "no reference")
            return None
        if not self.cfg.colour_align:
            if self.colorizer is None:
                self.colorizer = Colorizer(self.newest)
            self._set_status(t, "unaligned")
            return np.asarray(self.colorizer(grey), np.float32)
        self._apply_pending()
        self._collect(t)
        if self.current is None:
            self._gather(t, grey)
            if self.current is None:
                return None
        cur = self.current
        assert cur.warped is not None
        if cur.warped.shape[:2] != grey.shape:  # the stream came back at another size
            self._view_moved(t, float("nan"))
            return None
        self._frames += 1
        every = self.cfg.colour_recheck_every
        if every and self._baseline is not None and self._frames % every == 0:
            now = structure_agreement(grey, cur.warped, self.align_config)
            if now < 0.5 * self._baseline:
                self._view_moved(t, now)
                return None
        if self.colorizer is None:
            self.colorizer = Colorizer(cur.warped)
        out = np.asarray(self.colorizer(grey), np.float32)
        if every and self._frames == 1:
            base = structure_agreement(grey, cur.warped, self.align_config)
            self._baseline = base if base >= 0.1 else None  # too little structure to check
        plan = cur.fill
        if plan is not None and plan.shape == grey.shape:
            if self._fill is None or self._fill_age >= self.fill_every:
                self._fill = plan.fill_map(out, grey.astype(np.float32) / 255.0)
                self._fill_age = 0
            self._fill_age += 1
            out = apply_fill_plan(np.ascontiguousarray(out), plan, self._fill)
        return out

    def _gather(self, t: float, grey: np.ndarray) -> None:
        """Average night frames for the next choice; start it when enough are in."""
        if self._job is not None and self._job.is_alive():
            return  # a choice is running (or one from before the day is finishing)
        if self._refused_at is not None and t - self._refused_at < self.cfg.colour_retry_s:
            return
        if self._acc is None or self._acc.shape != grey.shape:
            self._acc, self._acc_n = np.zeros(grey.shape, np.float64), 0
            if not self.status.startswith("aligning"):
                self._set_status(t, "aligning")
        self._acc += grey
        self._acc_n += 1
        if self._acc_n < self.cfg.colour_align_frames:
            return
        mean = (self._acc / (255.0 * self._acc_n)).astype(np.float32)
        self._acc, self._acc_n = None, 0
        keep, self._keep = self._keep, True
        if self.background:
            self._job = threading.Thread(
                target=self._choose, args=(mean, keep, self._epoch), name="colour-align",
                daemon=True,
            )  # fmt: skip
            self._job.start()
        else:
            self._choose(mean, keep, self._epoch)
            self._collect(t)

    def _choose(self, mean: np.ndarray, keep: bool, epoch: int) -> None:
        """Align every held reference to ``mean`` and keep the best (a worker thread)."""
        t0 = time.perf_counter()
        try:
            with self._bank_lock:
                tried = len(self.bank)
                choice = self.bank.best(mean, keep=keep)
                if choice is not None:
                    plan = fill_plan(choice.alignment, EDGE_PX)
                    res = ColourChoice(
                        warped=_u8(choice.warped()), fill=plan if plan.needed else None,
                        alignment=choice.alignment, index=choice.index,
                        view=choice.entry.view, tried=tried,
                    )  # fmt: skip
                else:  # the bank says why (the newest reference's reasons)
                    why = self.bank.last_refusals[-1].alignment
                    res = ColourChoice(None, None, why, tried=tried,
                                       reason=self.bank.refusal_reason())  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - a failed choice leaves the frames grey
            res = ColourChoice(None, None, None, reason=f"alignment failed ({exc})"[:300])
        res.ms = 1000.0 * (time.perf_counter() - t0)
        with self._result_lock:
            self._result = (epoch, res)

    def _collect(self, t: float) -> None:
        """Take a finished choice (one from before a day switch is dropped)."""
        with self._result_lock:
            got, self._result = self._result, None
        if got is None:
            return
        epoch, res = got
        if epoch != self._epoch:
            return
        self.last = res
        self.realigned += 1
        if res.warped is None:
            self.refusals += 1
            self._refused_at = t
            self._set_status(t, f"refused: {res.reason}", res.summary())
            return
        self.current = res
        self._refused_at = None
        self._frames = 0
        self._baseline = None
        self._fill, self._fill_age = None, 0
        if self.colorizer is not None:
            self.colorizer.set_reference(res.warped)
        self._set_status(t, "aligned", res.summary())

    def _view_moved(self, t: float, agreement: float) -> None:
        self.view_moves += 1
        self.current = None
        self._keep = False  # every reference aligned afresh
        detail: dict[str, Any] = {"frame_size_changed": not math.isfinite(agreement)}
        if math.isfinite(agreement):
            detail["agreement"] = round(float(agreement), 3)
            detail["after_alignment"] = round(float(self._baseline or 0.0), 3)
        self._set_status(t, "aligning: the view moved", detail)

    def _set_status(
        self, t: float | None, status: str, detail: dict[str, Any] | None = None
    ) -> None:
        if status == self.status and detail is None:
            return
        self.status = status
        if t is not None:
            self.history.append((round(t, 3), status))
            self._notes.append((status, dict(detail or {})))

    def take_notes(self) -> list[tuple[str, dict[str, Any]]]:
        """Status changes since the last call (the monitor records them)."""
        out, self._notes = self._notes, []
        return out

    def summary(self) -> dict[str, Any] | None:
        """The choice in use (or the last refusal) for the health JSON."""
        if self.last is None:
            return None
        return {**self.last.summary(), "choices": self.realigned, "refusals": self.refusals,
                "view_moves": self.view_moves}  # fmt: skip

    def close(self, timeout: float = 10.0) -> None:
        """Wait (up to ``timeout`` s) for a choice still running."""
        if self._job is not None:
            self._job.join(timeout)


class Monitor:
    """One camera: readers, stages, sinks. :meth:`start`, then :meth:`stop` (or wait for a
    file to end with :meth:`wait`), then :meth:`close` (every file complete).

    Args:
        source: video (and audio) source; ``audio_source``: audio from elsewhere.
        state: the camera's state (thresholds, orientation, reference bank).
        state_path: the state file learned references are written into (beside it).
        state_dir: the folder relative reference paths of the state are taken from (default
            ``state_path``'s).
        reference: a day reference (RGB) that overrides the bank.
        learn_reference: in day mode, take day frames as the reference (every
            ``state.learn_reference_s``); off when a reference is given explicitly.
        pose: a pose backend (frames -> keypoints), or None for no roll-over detection.
        sinks: receivers of every record (events file, MQTT...).
        clips: a clip recorder, or None.
        on_record: called with each record on the dispatch thread.
    """

    def __init__(
        self,
        source: str,
        *,
        audio_source: str | None = None,
        state: CameraState | None = None,
        state_path: Path | None = None,
        reference: np.ndarray | None = None,
        pose: PoseBackend | None = None,
        sinks: list[Sink] | None = None,
        clips: ClipRecorder | None = None,
        on_record: Callable[[Record], None] | None = None,
        config: MonitorConfig | None = None,
        source_config: SourceConfig | None = None,
        cry_model: Path | None = None,
        listen: bool = True,
        learn_reference: bool = True,
        state_dir: Path | None = None,
    ) -> None:
        self.state = state or CameraState()
        self.state_path = state_path
        self.cfg = config or MonitorConfig()
        self.sinks = list(sinks or [])
        self.clips = clips
        self.on_record = on_record
        self.timer = StageTimer(self.cfg.stats_window)
        self.health = Health()
        self.records: collections.deque[dict[str, Any]] = collections.deque(
            maxlen=self.cfg.alerts_kept
        )
        self.record_seq = 0
        self.timeline: collections.deque[tuple[float, float, str]] = collections.deque(
            maxlen=int(self.cfg.timeline_s * 4)
        )
        self._stop = threading.Event()
        self._frame_lock = threading.Condition()
        self._frame: tuple[float, np.ndarray, float] | None = None
        self._audio_q: queue.SimpleQueue[tuple[float, np.ndarray, float] | None] = (
            queue.SimpleQueue()
        )
        self._records_q: queue.SimpleQueue[Record | None] = queue.SimpleQueue()
        self.jpeg: bytes = b""
        self.jpeg_seq = 0
        self._jpeg_cond = threading.Condition()
        # colour: the bank holds the given reference, or every preset's reference of the
        # state file (the current preset's last, so it is the newest), then learned ones
        self.colour = NightColour(self.cfg, background=self.cfg.drop_frames)
        self.reference = reference
        if self.reference is not None:
            self.colour.add(self.reference, self.state.preset)
        else:
            base = state_dir or (state_path.parent if state_path else None)
            for preset, ref_path in self.state.reference_paths(base):
                if ref_path.is_file():
                    img = (read_reference(ref_path) * 255).astype(np.uint8)
                    self.colour.add(img, preset)
                    if preset == self.state.preset:
                        self.reference = img
        self._ref_learned_t = -math.inf
        self.learn_reference = learn_reference
        # roll-over
        self.pose = pose
        self.rollover: RolloverDetector | None = None
        if pose is not None:
            self.rollover = RolloverDetector(events=event_config(self.state), backend=pose)
        # cry
        self.cry: CryDetector | None = None
        self._tap: _ScoreTap | None = None
        if listen:
            model = Path(cry_model) if cry_model is not None else DEFAULT_DETECTOR
            self._tap = _ScoreTap(make_scorer(model))
            fc = load_filter_config(None, model)
            if self.state.cry_threshold is not None:
                fc = replace(fc, threshold=self.state.cry_threshold)
            self.cry = CryDetector(model, filter_config=fc, scorer=cast(Any, self._tap))
        self._audio_segments: list[tuple[int, float]] = []  # (sample index, stream offset)
        self._audio_arrivals: collections.deque[tuple[float, float]] = collections.deque(
            maxlen=4096
        )
        self._video_arrivals: collections.deque[tuple[float, float]] = collections.deque(
            maxlen=1024
        )
        self.cry_latencies: list[float] = []
        self.cry_alerts: collections.deque[Record] = collections.deque(maxlen=100)
        # day/night
        self._mode_cand: str | None = None
        self._seen = "unknown"
        """What the last frame looked like (``day``/``night``), whatever the mode."""
        self._mode_cand_since = 0.0
        # readers
        sc = source_config or SourceConfig()
        separate = audio_source is not None
        self._clip_audio = not separate  # another source's stream time is not the video's
        self.reader = StreamReader(
            source,
            on_video=self._on_video,
            on_audio=None if (separate or not listen) else self._on_audio,
            on_status=self._on_status,
            config=sc,
            name="reader-video",
        )
        self.audio_reader: StreamReader | None = None
        if separate and listen:
            assert audio_source is not None
            self.audio_reader = StreamReader(
                audio_source,
                on_audio=self._on_audio,
                on_status=self._on_audio_status,
                config=sc,
                name="reader-audio",
            )
        self._threads = [
            threading.Thread(target=self._video_loop, name="video", daemon=True),
            threading.Thread(target=self._audio_loop, name="audio", daemon=True),
            threading.Thread(target=self._dispatch_loop, name="dispatch", daemon=True),
        ]
        self._closed = False

    # ------------------------------------------------------------------ life cycle

    def start(self) -> Monitor:
        for t in self._threads:
            t.start()
        self.reader.start()
        if self.audio_reader is not None:
            self.audio_reader.start()
        return self

    def finished(self) -> bool:
        """True once every reader has stopped (a file's end)."""
        readers = [self.reader] + ([self.audio_reader] if self.audio_reader else [])
        return all(not r.alive for r in readers)

    def wait(self, timeout: float | None = None, stop: threading.Event | None = None) -> bool:
        """Block until the source ends, ``stop`` is set or ``timeout``; True if ended."""
        end = None if timeout is None else time.monotonic() + timeout
        while not self.finished():
            if stop is not None and stop.is_set():
                return False
            if end is not None and time.monotonic() >= end:
                return False
            time.sleep(0.05)
        return True

    def stop(self) -> None:
        self.reader.stop()
        if self.audio_reader is not None:
            self.audio_reader.stop()

    def close(self) -> dict[str, Any]:
        """Stop readers, drain the stages (every audio sample), close the detectors and
        sinks (clips written, events file complete). Returns the final health."""
        if self._closed:
            return self.snapshot()
        self._closed = True
        self.stop()
        self.reader.join(10)
        if self.audio_reader is not None:
            self.audio_reader.join(10)
        self._stop.set()
        with self._frame_lock:
            self._frame_lock.notify_all()
        self._audio_q.put(None)
        for t in self._threads[:2]:
            t.join(30)
        if self.cry is not None:
            for msg in self.cry.close():
                self._cry_message(msg)
        if self.rollover is not None:
            self.rollover.close()
        self.colour.close()
        self._records_q.put(None)
        self._threads[2].join(30)
        if self.clips is not None:
            self.clips.close()
        for s in self.sinks:
            s.close()
        return self.snapshot()

    # ------------------------------------------------------------------ reader callbacks

    def _on_video(self, t: float, rgb: np.ndarray) -> None:
        with self._frame_lock:
            if not self.cfg.drop_frames:
                while self._frame is not None and not self._stop.is_set():
                    self._frame_lock.wait(0.2)
            if self._frame is not None:
                self.health.dropped += 1
            self._frame = (t, rgb, time.perf_counter())
            self._video_arrivals.append((t, time.time()))
            self.health.received += 1
            self._frame_lock.notify()

    def _on_audio(self, t: float, pcm: np.ndarray) -> None:
        self.health.audio_in += pcm.shape[0]
        self._audio_q.put((t, pcm, time.time()))

    def _on_status(self, state: str, t: float, message: str, which: str = "video") -> None:
        reader = self.reader if which == "video" else self.audio_reader
        src = reader.source if reader is not None else ""
        detail = {"source": src, "stream": which}
        if state == "up":
            self.emit(Record("stream_up", "status", "source", t, camera=self.state.name,
                             detail=detail))  # fmt: skip
        elif state == "down":
            self.emit(Record("stream_down", "status", "source", t, camera=self.state.name,
                             detail={**detail, "reason": message}))  # fmt: skip

    def _on_audio_status(self, state: str, t: float, message: str) -> None:
        self._on_status(state, t, message, "audio")

    # ------------------------------------------------------------------ records

    def emit(self, rec: Record) -> None:
        self._records_q.put(rec)

    def _dispatch_loop(self) -> None:
        while True:
            rec = self._records_q.get()
            if rec is None:
                return
            self.record_seq += 1
            self.health.counts[rec.type] = self.health.counts.get(rec.type, 0) + 1
            self.health.alerts += rec.is_alert
            self.records.append({"seq": self.record_seq, **rec.to_dict()})
            if self.clips is not None and rec.is_alert:
                self.clips.alert(rec)
            for s in self.sinks:
                try:
                    s.write(rec)
                except (CribwatchError, OSError):
                    pass  # a sink that fails (full disk, broker gone) never stops the monitor
            if self.on_record is not None:
                try:
                    self.on_record(rec)
                except Exception as exc:  # noqa: BLE001 - e.g. stdout closed by a pipe reader
                    self._failed("dispatch", exc)

    def _failed(self, where: str, exc: BaseException) -> None:
        """A stage failed on one item: counted and shown in health; the monitor goes on."""
        self.health.errors += 1
        msg = exc.message if isinstance(exc, CribwatchError) else f"{type(exc).__name__}: {exc}"
        self.health.last_error = f"{where}: {msg}"[:300]

    # ------------------------------------------------------------------ audio

    def _audio_loop(self) -> None:
        while True:
            item = self._audio_q.get()
            if item is None:
                return
            t, pcm, wall = item
            if self.clips is not None and self._clip_audio:
                self.clips.audio(t, pcm)
            if self.cry is None:
                continue
            n0 = self.cry.stream.total
            expected = self._audio_offset(n0) + n0 / SR
            if not self._audio_segments or abs(t - expected) > 0.5:
                self._audio_segments.append((n0, t - n0 / SR))
                self._audio_segments = self._audio_segments[-64:]
            self._audio_arrivals.append((t, wall))
            t0 = time.perf_counter()
            try:
                msgs = self.cry.push(pcm)
            except Exception as exc:  # noqa: BLE001 - the block is counted, the stream goes on
                self._failed("audio", exc)
                msgs = []
            self.timer.add("cry", (time.perf_counter() - t0) * 1000.0)
            self.health.audio_done += pcm.shape[0]
            if self._tap is not None:
                self.health.cry_score = self._tap.last
                self.health.cry_first_score = self._tap.last_first
            for m in msgs:
                self._cry_message(m)

    def _audio_offset(self, sample: int) -> float:
        off = 0.0
        for n, o in self._audio_segments:
            if n <= sample:
                off = o
        return off

    def _arrival_wall(self, t: float) -> float | None:
        for at, wall in self._audio_arrivals:
            if at >= t:
                return wall
        return None

    def frame_arrival_wall(self, t: float) -> float | None:
        """Wall time (``time.time()``) the first frame at or after stream time ``t`` was
        decoded, among the last 1024 frames (None: not among them)."""
        with self._frame_lock:
            arrivals = list(self._video_arrivals)
        for at, wall in arrivals:
            if at >= t - 1e-6:
                return wall
        return None

    def _cry_message(self, msg: Any) -> None:
        if isinstance(msg, CryEnd):
            off = self._audio_offset(int(msg.event.onset * SR))
        else:
            off = self._audio_offset(int(msg.onset * SR))
        now = self._audio_offset(self.cry.stream.total) + self.cry.seconds if self.cry else None
        rec = from_cry(msg, off, self.state.name, confidence=self.health.cry_score, now=now)
        if rec.kind == "alert":
            onset = float(rec.detail["onset"])
            rec.detail["latency_s"] = round(rec.stream_time - onset, 3)
            wall = self._arrival_wall(onset)
            if wall is not None:
                lat = time.time() - wall
                rec.detail["wall_latency_s"] = round(lat, 3)
                self.cry_latencies.append(lat)
                del self.cry_latencies[:-1000]
            self.cry_alerts.append(rec)
        self.emit(rec)

    # ------------------------------------------------------------------ video

    def _take_frame(self) -> tuple[float, np.ndarray, float] | None:
        with self._frame_lock:
            while self._frame is None and not self._stop.is_set():
                self._frame_lock.wait(0.2)
            f, self._frame = self._frame, None
            self._frame_lock.notify_all()
            return f

    def _video_loop(self) -> None:
        while True:
            item = self._take_frame()
            if item is None:
                if self._stop.is_set():
                    return  # the last frame in the mailbox was processed first
                continue
            try:
                self._process(*item)
            except Exception as exc:  # noqa: BLE001 - a frame a stage fails on is skipped
                self._failed("video", exc)

    def _timed(self, stage: str, t0: float) -> float:
        now = time.perf_counter()
        self.timer.add(stage, (now - t0) * 1000.0)
        return now

    def _process(self, t: float, rgb: np.ndarray, arrived: float) -> None:
        st = self.state
        t0 = time.perf_counter()
        self.timer.add("queue", (t0 - arrived) * 1000.0)
        frame = orient(rgb, st.rotation, st.mirrored) if (st.rotation or st.mirrored) else rgb
        now = self._timed("orient", t0)
        mode = self._daynight(t, frame)
        now = self._timed("daynight", now)
        shown = frame
        if mode == "day":
            if self._seen == "day":  # not an IR frame while a switch to night holds
                self._learn_reference(t, frame)
        elif self.cfg.colour and self.reference is not None:
            out = self.colour.night(t, np.ascontiguousarray(frame[:, :, 1]))
            if out is not None:
                shown = (np.clip(out, 0, 1) * 255).astype(np.uint8)
                now = self._timed("color", now)
            else:  # grey: aligning (inline on a recorded night) or no reference matches
                now = self._timed("color_align", now)
            self._colour_records(t)
        if self.rollover is not None:
            pframe = frame
            side = max(frame.shape[:2])
            if side > self.cfg.max_pose_side:
                s = self.cfg.max_pose_side / side
                pframe = cv2.resize(frame, (int(frame.shape[1] * s), int(frame.shape[0] * s)))
            assert self.pose is not None
            kp = np.asarray(self.pose.process(pframe), dtype=np.float64)
            now = self._timed("pose", now)
            for ev in self.rollover.update(t, kp):
                self.emit(from_rollover(ev, st.name))
            self.health.posture = self.rollover.posture
            now = self._timed("rollover", now)
        if self.cfg.jpeg:
            ok, buf = cv2.imencode(
                ".jpg", cv2.cvtColor(shown, cv2.COLOR_RGB2BGR),
                [cv2.IMWRITE_JPEG_QUALITY, self.cfg.jpeg_quality],
            )  # fmt: skip
            if ok:
                jpg = buf.tobytes()
                with self._jpeg_cond:
                    self.jpeg = jpg
                    self.jpeg_seq += 1
                    self._jpeg_cond.notify_all()
                if self.clips is not None:
                    self.clips.frame(t, jpg)
            now = self._timed("jpeg", now)
        self.timer.add("total", (now - arrived) * 1000.0)
        h = self.health
        h.processed += 1
        h.last_frame_t = t
        h.fps_times.append(time.monotonic())
        if not self.timeline or t - self.timeline[-1][0] >= 0.25:
            self.timeline.append((t, h.cry_first_score, h.posture))

    def _daynight(self, t: float, frame: np.ndarray) -> str:
        st = self.state
        if st.daynight != "auto":
            seen = st.daynight
        else:
            seen = "night" if is_ir_frame(frame, st.gray_threshold) else "day"
        self._seen = seen
        h = self.health
        if h.mode == "unknown":
            self._set_mode(t, seen, 1.0)
        elif seen != h.mode:
            if self._mode_cand != seen:
                self._mode_cand, self._mode_cand_since = seen, t
            elif t - self._mode_cand_since >= st.daynight_hold_s:
                self._set_mode(t, seen, 1.0)
        else:
            self._mode_cand = None
        return h.mode

    def _colour_records(self, t: float) -> None:
        """The colour stage's decisions (aligned, refused, the view moved): one ``colour``
        status record each."""
        for status, detail in self.colour.take_notes():
            # decided now: the reader's stream time (a background choice can finish while
            # the reader reports the stream down), so records stay in stream-time order
            now = max(t, self.reader.stream_time)
            self.emit(Record("colour", "status", "colour", now, camera=self.state.name,
                             detail={"status": status, "frame_time": round(t, 3),
                                     **detail}))  # fmt: skip

    def _set_mode(self, t: float, mode: str, conf: float) -> None:
        if mode == "day" and self.health.mode == "night":
            self.colour.day()
        self.health.mode = mode
        self._mode_cand = None
        self.emit(Record(mode, "event", "daynight", t, conf, camera=self.state.name))

    def _learn_reference(self, t: float, frame: np.ndarray) -> None:
        every = self.state.learn_reference_s
        if not self.learn_reference or every <= 0 or t - self._ref_learned_t < every:
            return
        self._ref_learned_t = t
        self.reference = frame.copy()
        self.colour.add(self.reference, self.state.preset)
        if self.state_path is not None:
            name = f"{self.state_path.stem}.{self.state.preset}.png"
            try:
                write_image(self.state_path.parent / name, self.reference)
                self.state = self.state.with_reference(name)
                save_state(self.state_path, self.state)
            except CribwatchError as exc:
                self._failed("reference", exc)

    # ------------------------------------------------------------------ views

    def latest_jpeg(self) -> tuple[int, bytes]:
        """The newest displayed frame as ``(sequence number, JPEG bytes)``."""
        with self._jpeg_cond:
            return self.jpeg_seq, self.jpeg

    def wait_jpeg(self, after: int, timeout: float) -> tuple[int, bytes]:
        """A frame newer than ``after`` (or the current one after ``timeout`` seconds)."""
        with self._jpeg_cond:
            if self.jpeg_seq <= after:
                self._jpeg_cond.wait(timeout)
            return self.jpeg_seq, self.jpeg

    def snapshot(self) -> dict[str, Any]:
        """Health, latest records and the timeline (what the page and the bench read)."""
        h = self.health
        readers = {"video": self.reader.stats.to_dict()}
        if self.audio_reader is not None:
            readers["audio"] = self.audio_reader.stats.to_dict()
        return {
            "camera": self.state.name,
            "health": {
                "stream": self.reader.stats.state,
                "mode": h.mode,
                "posture": h.posture,
                "cry_score": round(h.cry_score, 3),
                "cry_first_score": round(h.cry_first_score, 3),
                "processed_fps": round(h.fps(), 2),
                "frames_received": h.received,
                "frames_processed": h.processed,
                "frames_dropped": h.dropped,
                "audio_samples_in": h.audio_in,
                "audio_samples_done": h.audio_done,
                "audio_backlog_s": round((h.audio_in - h.audio_done) / SR, 3),
                "stream_time": round(h.last_frame_t, 3),
                "colour": self.colour.colorizer is not None,
                "colour_status": self.colour.status if self.cfg.colour else "off",
                "colour_choice": self.colour.summary(),
                "colour_history": [list(x) for x in list(self.colour.history)],
                "reference": self.reference is not None,
                "stages": self.timer.summary(),
                "readers": readers,
                "alerts": h.alerts,
                "records_by_type": dict(h.counts),
                "errors": h.errors,
                "last_error": h.last_error,
                "uptime_s": round(time.time() - h.started_wall, 1),
            },
            "records": list(self.records),
            "timeline": [[round(t, 2), round(s, 3), p] for t, s, p in list(self.timeline)],
        }
