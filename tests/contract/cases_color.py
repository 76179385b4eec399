"""Bad-input cases of the ``cribwatch color ...`` verbs: every audit row (ids as in the audit)
and at least one case per verb."""

from __future__ import annotations

import shutil
import subprocess
from importlib import resources
from pathlib import Path

from tests.contract.harness import Case

WEIGHTS = Path(str(resources.files("cribwatch") / "weights"))


# ----------------------------------------------------------------------------- setups


def _weights(tmp: Path, fx: Path) -> None:
    """A copy of the shipped (small) automatic network as ``{tmp}/w.pt``."""
    shutil.copy(WEIGHTS / "color_auto.pt", tmp / "w.pt")


def _night_copy(tmp: Path, fx: Path) -> None:
    shutil.copy(fx / "night.png", tmp / "n.png")


def _same_bytes(copy: str, original: str):  # type: ignore[no-untyped-def]
    def check(tmp: Path, fx: Path) -> None:
        a = Path(copy.replace("{tmp}", str(tmp)).replace("{fx}", str(fx)))
        b = Path(original.replace("{tmp}", str(tmp)).replace("{fx}", str(fx)))
        assert a.read_bytes() == b.read_bytes(), f"{a} was changed"

    return check


def _immutable(tmp: Path, fx: Path) -> None:
    """``{tmp}/imm``: a folder nothing can be written into (chattr +i, root only)."""
    (tmp / "imm").mkdir()
    subprocess.run(["chattr", "+i", str(tmp / "imm")], check=True, capture_output=True)


def _unfreeze(tmp: Path, fx: Path) -> None:
    subprocess.run(["chattr", "-i", str(tmp / "imm")], check=False, capture_output=True)
    assert not any((tmp / "imm").iterdir())


def _immutable_weights(tmp: Path, fx: Path) -> None:
    _immutable(tmp, fx)
    _weights(tmp, fx)


def _dir(tmp: Path, fx: Path) -> None:
    (tmp / "d").mkdir()


def _pairs_with(night: str):  # type: ignore[no-untyped-def]
    """A copy of the fixture pair set ``{tmp}/p`` whose night.png is the fixture ``night``."""

    def setup(tmp: Path, fx: Path) -> None:
        shutil.copytree(fx / "pairs", tmp / "p")
        pair = next(d for d in (tmp / "p").iterdir() if d.is_dir())
        shutil.copy(fx / night, pair / "night.png")

    return setup


def _bomb_scenes(tmp: Path, fx: Path) -> None:
    (tmp / "imgs").mkdir()
    (tmp / "st").mkdir()
    shutil.copy(fx / "bomb.png", tmp / "imgs" / "bomb.png")
    shutil.copy(fx / "ref.png", tmp / "st" / "s.png")


def _scenes(tmp: Path, fx: Path) -> None:
    (tmp / "imgs").mkdir()
    (tmp / "st").mkdir()
    shutil.copy(fx / "ref.png", tmp / "imgs" / "a.png")
    shutil.copy(fx / "ref.png", tmp / "st" / "s.png")


def _foreign_out(tmp: Path, fx: Path) -> None:
    _scenes(tmp, fx)
    (tmp / "out").mkdir()
    (tmp / "out" / "mine.txt").write_text("the user's own file\n")


def _keeps_foreign(tmp: Path, fx: Path) -> None:
    assert (tmp / "out" / "mine.txt").read_text() == "the user's own file\n"
    assert sorted(p.name for p in (tmp / "out").iterdir()) == ["mine.txt"]


def _evil_resume(tmp: Path, fx: Path) -> None:
    shutil.copy(fx / "evil.pt", tmp / "e.pt")


# ----------------------------------------------------------------------------- commands

NIGHT, REF = "{fx}/night.png", "{fx}/ref.png"


def colorize(
    *extra: str, night: str = NIGHT, ref: str = REF, out: str = "{tmp}/c.png"
) -> list[str]:
    return ["color", "colorize", "--night", night, "--reference", ref, "--out", out, *extra]


def ssim_map(*extra: str, night: str = NIGHT, out: str = "{tmp}/m.png") -> list[str]:
    return ["color", "ssim-map", "--night", night, "--reference", REF, "--out", out, *extra]


def export(*extra: str, weights: str = "{tmp}/w.pt", out: str = "{tmp}/m.onnx") -> list[str]:
    return ["color", "export", "--weights", weights, "--out", out, *extra]


def train(*extra: str, out: str = "{tmp}/c.pt") -> list[str]:
    return ["color", "train", "--data", "{fx}/pairs", "--out", out, "--quiet", *extra]


def ship(*extra: str, ckpt: str = "{tmp}/w.pt", out: str = "{tmp}/o.pt") -> list[str]:
    return ["color", "ship", "--checkpoint", ckpt, "--out", out, "--pairs-command", "x", *extra]


def report(*extra: str, doc: str = "{tmp}/R.md") -> list[str]:
    return ["color", "report", "--data", "{fx}/pairs", "--methods", "gray", "--doc", doc, *extra]


def make_pairs(*extra: str, images: str = "{tmp}/imgs", out: str = "{tmp}/out") -> list[str]:
    return ["color", "make-pairs", "--images", images, "--stamps", "{tmp}/st", "--out", out,
            "--n", "1", "--split", "all", *extra]  # fmt: skip


def golden(*extra: str, model: str = "{tmp}/m.onnx", out: str = "{tmp}/g") -> list[str]:
    return ["color", "golden", "--model", model, "--pairs", "{fx}/pairs", "--out", out, *extra]


ONNX = str(WEIGHTS / "color_ssim_guided.onnx")
SAMPLES = Path(str(resources.files("cribwatch.demo") / "samples" / "color"))
OTHER_REF = str(SAMPLES / "00002" / "reference.png")
"""A day reference of another scene than the fixture night frame (astronaut, not coffee)."""


def align(*extra: str, night: str = NIGHT, ref: str = REF, out: str = "{tmp}/w.png") -> list[str]:
    return ["color", "align", "--night", night, "--reference", ref, "--out", out, *extra]


def video(*extra: str, night: str = "{tmp}/n.mp4", ref: str = REF,
          out: str = "{tmp}/o.mp4") -> list[str]:  # fmt: skip
    return ["color", "video", night, "--reference", ref, "--out", out, *extra]


def _night_video(tmp: Path, fx: Path) -> None:
    """``{tmp}/n.mp4``: three frames of the fixture night frame."""
    from cribwatch.color.video import write_video
    from cribwatch.io import read_gray

    night = read_gray(fx / "night.png")
    write_video(tmp / "n.mp4", [night] * 3, fps=5)


def _text_video(tmp: Path, fx: Path) -> None:
    (tmp / "t.mp4").write_text("this is plain text, not a video\n")


def temporal_eval(*extra: str, data: str = "{fx}/pairs") -> list[str]:
    return ["color", "temporal-eval", "--data", data, *extra]


CASES: list[Case] = [
    # --- 2. inputs overwritten
    Case(
        "cc_out_eq_night",
        colorize(night="{tmp}/n.png", out="{tmp}/n.png"),
        ["--out", "--night"],
        setup=_night_copy,
        check=_same_bytes("{tmp}/n.png", NIGHT),
    ),
    Case(
        "cole_out_eq_weights",
        export(out="{tmp}/w.pt"),
        ["--out", "--weights"],
        setup=_weights,
        check=_same_bytes("{tmp}/w.pt", str(WEIGHTS / "color_auto.pt")),
    ),
    # --- 4. runaway: a 90 Mpx PNG
    Case("X11", colorize(night="{fx}/big.png"), ["big.png", "9500x9500"], ["{tmp}/c.png"]),
    # --- 5. tracebacks: outputs that cannot be written
    Case(
        "cc_out_ro_tmpfs",
        colorize(out="{fx}/ro/c.png"),
        ["{fx}/ro/c.png", "cannot write"],
        ["{fx}/ro/c.png"],
    ),
    Case(
        "cc_out_immutable",
        colorize(out="{tmp}/imm/c.png"),
        ["{tmp}/imm/c.png", "cannot write"],
        setup=_immutable,
        check=_unfreeze,
    ),
    Case("cc_out_is_dir", colorize(out="{tmp}/d"), ["{tmp}/d", "folder"], setup=_dir),
    Case(
        "cole_out_ro",
        export(out="{fx}/ro/m.onnx"),
        ["{fx}/ro/m.onnx", "cannot write"],
        ["{fx}/ro/m.onnx"],
        setup=_weights,
    ),
    Case(
        "cole_out_imm",
        export(out="{tmp}/imm/m.onnx"),
        ["{tmp}/imm/m.onnx", "cannot write"],
        setup=_immutable_weights,
        check=_unfreeze,
    ),
    Case(
        "cr_doc_ro", report(doc="{fx}/ro/R.md"), ["{fx}/ro/R.md", "cannot write"], ["{fx}/ro/R.md"]
    ),
    Case(
        "cols_out_ro",
        ship("--method", "auto", out="{fx}/ro/o.pt"),
        ["{fx}/ro/o.pt", "cannot write"],
        ["{fx}/ro/o.pt", "{fx}/ro/o.json"],
        setup=_weights,
    ),
    Case(
        "colt_out_ro",
        train("--steps", "1", out="{fx}/ro/c.pt"),
        ["{fx}/ro/c.pt", "cannot write"],
        ["{fx}/ro/c.pt"],
    ),
    # --- 5. tracebacks: decompression bombs, thin images, bad options
    Case(
        "cc_bomb20k", colorize(night="{fx}/bomb.png"), ["bomb.png", "20000x20000"], ["{tmp}/c.png"]
    ),
    Case(
        "cc_ref_bomb20k",
        colorize(ref="{fx}/bomb.png"),
        ["bomb.png", "20000x20000"],
        ["{tmp}/c.png"],
    ),
    Case("sm_bomb", ssim_map(night="{fx}/bomb.png"), ["bomb.png", "20000x20000"], ["{tmp}/m.png"]),
    Case(
        "cv_bomb",
        ["color", "eval", "--data", "{tmp}/p", "--method", "gray"],
        ["night.png", "20000x20000"],
        setup=_pairs_with("bomb.png"),
    ),
    Case("cm_bomb", make_pairs(), ["bomb.png", "20000x20000"], ["{tmp}/out"], setup=_bomb_scenes),
    Case(
        "cc_tall_thin",
        colorize(night="{fx}/tall.png", ref="{fx}/tall.png"),
        ["tall.png", "2000x1", "minimum"],
        ["{tmp}/c.png"],
    ),
    Case("sm_workside0", ssim_map("--work-side", "0"), ["--work-side"], ["{tmp}/m.png"]),
    Case("sm_workside_neg", ssim_map("--work-side", "-5"), ["--work-side"], ["{tmp}/m.png"]),
    Case("sm_workside_huge", ssim_map("--work-side", "100000"), ["--work-side"], ["{tmp}/m.png"]),
    Case("colt_batch0", train("--batch", "0"), ["--batch"], ["{tmp}/c.pt"]),
    Case(
        "cr_doc_binary",
        report(doc="{fx}/binary.txt"),
        ["binary.txt", "UTF-8"],
        check=_same_bytes("{fx}/binary.txt", "{fx}/binary.txt"),
    ),
    # --- 6. silent acceptance
    Case("sm_threshold_nan", ssim_map("--threshold", "nan"), ["--threshold"], ["{tmp}/m.png"]),
    Case("sm_threshold_neg", ssim_map("--threshold", "-3"), ["--threshold"], ["{tmp}/m.png"]),
    Case(
        "cols_method_bogus",
        ship("--method", "bogus"),
        ["--method", "ssim-guided"],
        ["{tmp}/o.pt", "{tmp}/o.json"],
        setup=_weights,
    ),
    Case("colt_steps_neg", train("--steps", "-1"), ["--steps"], ["{tmp}/c.pt"]),
    Case(
        "cv_limit0",
        ["color", "eval", "--data", "{fx}/pairs", "--method", "gray", "--limit", "0"],
        ["--limit"],
    ),  # fmt: skip
    Case(
        "cv_limit_neg",
        ["color", "eval", "--data", "{fx}/pairs", "--method", "gray", "--limit", "-1"],
        ["--limit"],
    ),  # fmt: skip
    # --- 7. non-atomic outputs: nothing at --out when the check fails
    Case(
        "cole_check_pairs_missing",
        export("--check-pairs", "{tmp}/nope"),
        ["nope"],
        ["{tmp}/m.onnx"],
        setup=_weights,
    ),
    Case(
        "cole_check_pairs_bad",
        export("--check-pairs", "{tmp}/p"),
        ["night.png"],
        ["{tmp}/m.onnx"],
        setup=lambda tmp, fx: (_weights(tmp, fx), _pairs_with("text.png")(tmp, fx)),
    ),
    Case(
        "sm_mask_ro",
        ssim_map("--mask-out", "{fx}/ro/k.png"),
        ["{fx}/ro/k.png"],
        ["{tmp}/m.png", "{fx}/ro/k.png"],
    ),
    # --- 8. the option named
    Case(
        "cd2_scales_nan",
        ["color", "diagnose", "--data", "{fx}/pairs", "--scales", "nan,-1"],
        ["--scales"],
    ),
    # --- every verb: more bad inputs
    Case(
        "cc_out_eq_reference",
        colorize(ref="{tmp}/r.png", out="{tmp}/r.png"),
        ["--out", "--reference"],
        setup=lambda tmp, fx: shutil.copy(fx / "ref.png", tmp / "r.png"),
        check=_same_bytes("{tmp}/r.png", REF),
    ),
    Case("cc_method_bogus", colorize("--method", "bogus"), ["--method", "bogus"], ["{tmp}/c.png"]),
    Case("cc_weights_evil", colorize("--weights", "{fx}/evil.pt"), ["evil.pt"], ["{tmp}/c.png"]),
    Case("cc_weights_text", colorize("--weights", "{fx}/text.pt"), ["text.pt"], ["{tmp}/c.png"]),
    Case(
        "cc_weights_text_onnx",
        colorize("--weights", "{fx}/text.onnx"),
        ["text.onnx"],
        ["{tmp}/c.png"],
    ),
    Case(
        "cc_night_missing",
        colorize(night="{tmp}/none.png"),
        ["none.png", "not found"],
        ["{tmp}/c.png"],
    ),
    Case(
        "sm_out_eq_night",
        ssim_map(night="{tmp}/n.png", out="{tmp}/n.png"),
        ["--out", "--night"],
        setup=_night_copy,
        check=_same_bytes("{tmp}/n.png", NIGHT),
    ),
    Case("sm_mask_eq_out", ssim_map("--mask-out", "{tmp}/m.png"), ["--mask-out"], ["{tmp}/m.png"]),
    Case("cole_weights_evil", export(weights="{fx}/evil.pt"), ["evil.pt"], ["{tmp}/m.onnx"]),
    Case(
        "cole_format_bogus",
        export("--format", "gif"),
        ["--format"],
        ["{tmp}/m.onnx"],
        setup=_weights,
    ),
    Case("colt_lr_nan", train("--lr", "nan"), ["--lr"], ["{tmp}/c.pt"]),
    Case(
        "colt_changed_chroma_range",
        train("--changed-chroma", "2"),
        ["--changed-chroma"],
        ["{tmp}/c.pt"],
    ),
    Case("colt_gate_close_neg", train("--gate-close", "-1"), ["--gate-close"], ["{tmp}/c.pt"]),
    Case(
        "colt_static_distil_no_teacher",
        train("--static-distil", "1"),
        ["--static-distil"],
        ["{tmp}/c.pt"],
    ),
    Case("colt_init_missing", train("--init", "{tmp}/nope.pt"), ["--init"], ["{tmp}/c.pt"]),
    Case(
        "colt_evidence_missing",
        train("--evidence", "{tmp}/none.json"),
        ["--evidence", "none.json"],
        ["{tmp}/c.pt"],
    ),
    Case(
        "colt_evidence_not_json",
        train("--evidence", "{fx}/notjson.json"),
        ["notjson.json"],
        ["{tmp}/c.pt"],
    ),
    Case(
        "colt_evidence_list", train("--evidence", "{fx}/list.json"), ["list.json"], ["{tmp}/c.pt"]
    ),
    Case(
        "colt_evidence_weights_without",
        train("--evidence", str(WEIGHTS / "color_ssim_guided_slim.pt")),
        ["--evidence", "without a change classifier"],
        ["{tmp}/c.pt"],
    ),
    Case("colt_resume_evil", train("--resume", out="{tmp}/e.pt"), ["e.pt"], setup=_evil_resume),
    Case(
        "colt_data_missing",
        [
            "color",
            "train",
            "--data",
            "{tmp}/none",
            "--out",
            "{tmp}/c.pt",
            "--quiet",
            "--steps",
            "1",
        ],
        ["none"],
        ["{tmp}/c.pt"],
    ),  # fmt: skip
    Case(
        "cols_checkpoint_evil",
        ship("--method", "auto", ckpt="{fx}/evil.pt"),
        ["evil.pt"],
        ["{tmp}/o.pt", "{tmp}/o.json"],
    ),
    Case(
        "cols_metrics_list",
        ship("--method", "auto", "--metrics", "{fx}/list.json"),
        ["list.json"],
        ["{tmp}/o.pt", "{tmp}/o.json"],
        setup=_weights,
    ),
    Case("cm_out_dot", make_pairs(out="."), ["--out"], setup=_scenes),
    Case("cm_n0", make_pairs("--n", "0"), ["--n"], ["{tmp}/out"], setup=_scenes),
    Case("cm_split_bogus", make_pairs("--split", "val"), ["--split"], ["{tmp}/out"], setup=_scenes),
    Case(
        "cm_out_foreign",
        make_pairs(),
        ["{tmp}/out", "--force"],
        setup=_foreign_out,
        check=_keeps_foreign,
    ),
    Case(
        "cm_images_missing", make_pairs(images="{tmp}/none"), ["none"], ["{tmp}/out"], setup=_scenes
    ),
    Case(
        "cv_method_bogus",
        ["color", "eval", "--data", "{fx}/pairs", "--method", "nope"],
        ["--method", "nope"],
    ),
    Case(
        "cv_data_missing", ["color", "eval", "--data", "{tmp}/none", "--method", "gray"], ["none"]
    ),
    Case("cd2_limit0", ["color", "diagnose", "--data", "{fx}/pairs", "--limit", "0"], ["--limit"]),
    Case(
        "cd2_weights_text",
        ["color", "diagnose", "--data", "{fx}/pairs", "--weights", "{fx}/text.pt"],
        ["text.pt"],
    ),  # fmt: skip
    Case(
        "cr_methods_bogus",
        report("--methods", "gray,bogus"),
        ["--methods", "bogus"],
        ["{tmp}/R.md"],
    ),
    Case(
        "cq_model_missing",
        [
            "color",
            "quantize",
            "--model",
            "{tmp}/none.onnx",
            "--calib",
            "{fx}/pairs",
            "--out",
            "{tmp}/q.onnx",
        ],
        ["none.onnx"],
        ["{tmp}/q.onnx"],
    ),  # fmt: skip
    Case(
        "cq_scheme_bogus",
        [
            "color",
            "quantize",
            "--model",
            ONNX,
            "--calib",
            "{fx}/pairs",
            "--out",
            "{tmp}/q.onnx",
            "--scheme",
            "int3",
        ],
        ["--scheme"],
        ["{tmp}/q.onnx"],
    ),  # fmt: skip
    Case(
        "cq_out_eq_model",
        [
            "color",
            "quantize",
            "--model",
            "{tmp}/m.onnx",
            "--calib",
            "{fx}/pairs",
            "--out",
            "{tmp}/m.onnx",
        ],
        ["--out", "--model"],
        setup=lambda tmp, fx: shutil.copy(ONNX, tmp / "m.onnx"),
        check=_same_bytes("{tmp}/m.onnx", ONNX),
    ),  # fmt: skip
    Case("cb_frames0", ["color", "bench", "--frames", "0"], ["--frames"]),
    Case(
        "cb_fp32_text",
        ["color", "bench", "--fp32", "{fx}/text.onnx", "--frames", "1"],
        ["text.onnx"],
    ),
    Case("cg_limit0", golden("--limit", "0", model=ONNX), ["--limit"], ["{tmp}/g"]),
    Case("cg_model_text", golden(model="{fx}/text.onnx"), ["text.onnx"], ["{tmp}/g"]),
    Case("cg_out_eq_pairs", golden(model=ONNX, out="{fx}/pairs"), ["--out", "--pairs"]),
    # --- issue 26: alignment, video, temporal measures
    Case(
        "ca_wrong_scene", align(ref=OTHER_REF), ["--reference", "does not match"], ["{tmp}/w.png"]
    ),  # fmt: skip
    Case(
        "ca_out_eq_night",
        align(night="{tmp}/n.png", out="{tmp}/n.png"),
        ["--out", "--night"],
        setup=_night_copy,
        check=_same_bytes("{tmp}/n.png", NIGHT),
    ),
    Case("ca_night_missing", align(night="{tmp}/none.png"), ["none.png"], ["{tmp}/w.png"]),
    Case("ca_ref_bomb", align(ref="{fx}/bomb.png"), ["bomb.png", "20000x20000"], ["{tmp}/w.png"]),
    Case("ca_ref_grey_text", align(ref="{fx}/text.png"), ["text.png"], ["{tmp}/w.png"]),
    Case(
        "ca_out_ro",
        align(out="{fx}/ro/w.png"),
        ["{fx}/ro/w.png", "cannot write"],
        ["{fx}/ro/w.png"],
    ),  # fmt: skip
    Case(
        "cc_align_wrong_scene",
        colorize("--align", ref=OTHER_REF),
        ["--reference", "does not match"],
        ["{tmp}/c.png"],
    ),
    Case("cae_data_missing", ["color", "align-eval", "--data", "{tmp}/none"], ["none"]),
    Case(
        "cae_no_known_warp",
        ["color", "align-eval", "--data", "{fx}/pairs"],
        ["--data", "--ref-warp"],
    ),
    Case(
        "cae_fail_px0",
        ["color", "align-eval", "--data", "{fx}/pairs", "--fail-px", "0"],
        ["--fail-px"],
    ),  # fmt: skip
    Case(
        "cae_limit0", ["color", "align-eval", "--data", "{fx}/pairs", "--limit", "0"], ["--limit"]
    ),  # fmt: skip
    Case(
        "cae_frame_bogus",
        ["color", "align-eval", "--data", "{fx}/pairs", "--frame", "mean"],
        ["--frame"],
    ),
    Case(
        "cm_align_frames0",
        make_pairs("--align-frames", "0"),
        ["--align-frames"],
        ["{tmp}/out"],
        setup=_scenes,
    ),
    Case(
        "cm_max_changed_below_min",
        make_pairs("--max-changed", "0.01"),
        ["--max-changed"],
        ["{tmp}/out"],
        setup=_scenes,
    ),
    Case(
        "cm_min_structure_neg",
        make_pairs("--min-structure", "-0.1"),
        ["--min-structure"],
        ["{tmp}/out"],
        setup=_scenes,
    ),
    Case(
        "cvid_align_frames0",
        video("--align-frames", "0"),
        ["--align-frames"],
        ["{tmp}/o.mp4"],
        setup=_night_video,
    ),
    Case(
        "cv_align_data_missing",
        ["color", "eval", "--data", "{tmp}/none", "--method", "gray", "--align"],
        ["none"],
    ),
    Case(
        "cm_ref_warp_bogus",
        make_pairs("--ref-warp", "tilt"),
        ["--ref-warp"],
        ["{tmp}/out"],
        setup=_scenes,
    ),  # fmt: skip
    Case("cvid_missing", video(night="{tmp}/none.mp4"), ["none.mp4"], ["{tmp}/o.mp4"]),
    Case(
        "cvid_text", video(night="{tmp}/t.mp4"), ["t.mp4"], ["{tmp}/o.mp4"], setup=_text_video
    ),  # fmt: skip
    Case(
        "cvid_out_eq_night",
        video(out="{tmp}/n.mp4"),
        ["--out", "{tmp}/n.mp4"],
        setup=_night_video,
    ),
    Case(
        "cvid_frames0", video("--frames", "0"), ["--frames"], ["{tmp}/o.mp4"], setup=_night_video
    ),  # fmt: skip
    Case(
        "cvid_max_frames0",
        video("--max-frames", "0"),
        ["--max-frames"],
        ["{tmp}/o.mp4"],
        setup=_night_video,
    ),  # fmt: skip
    Case(
        "cvid_method_bogus",
        video("--method", "bogus"),
        ["--method"],
        ["{tmp}/o.mp4"],
        setup=_night_video,
    ),  # fmt: skip
    Case(
        "cvid_ref_bomb",
        video(ref="{fx}/bomb.png"),
        ["bomb.png"],
        ["{tmp}/o.mp4"],
        setup=_night_video,
    ),  # fmt: skip
    Case(
        "cvid_wrong_scene",
        video(ref=OTHER_REF),
        ["--reference", "does not match"],
        ["{tmp}/o.mp4"],
        setup=_night_video,
    ),
    Case("cte_n0", temporal_eval("--n", "0"), ["--n"]),
    Case("cte_frames_short", temporal_eval("--frames", "3"), ["--frames"]),
    Case("cte_data_missing", temporal_eval(data="{tmp}/none"), ["none"]),
    Case("cte_method_bogus", temporal_eval("--method", "nope"), ["--method"]),
    Case("cte_speed_nan", temporal_eval("--speed", "nan"), ["--speed"]),
    Case("cte_speed_big", temporal_eval("--speed", "5"), ["--speed"]),
]

# --- issue 27: color bench --peers
_BENCH = ["color", "bench"]
CASES += [
    Case("cb_peers_missing", [*_BENCH, "--peers", "{tmp}/nopeers"], ["--peers", "nopeers"]),
    Case("cb_peers_file", [*_BENCH, "--peers", "{fx}/text.onnx"], ["--peers", "text.onnx"]),
    Case("cb_peer_frames0", [*_BENCH, "--peers", "{tmp}", "--peer-frames", "0"], ["--peer-frames"]),
]

# color train: the slim architecture and distillation options (issue 27)
CASES += [
    Case("colt_arch_unknown", train("--arch", "huge"), ["--arch"], ["{tmp}/c.pt"]),
    Case(
        "colt_distil_no_teacher", train("--distil-weight", "1"), ["--distil-weight"], ["{tmp}/c.pt"]
    ),
    Case(
        "colt_teacher_missing",
        train("--teacher", "{tmp}/none.pt", "--distil-weight", "1"),
        ["--teacher", "none.pt"],
        ["{tmp}/c.pt"],
    ),
]

# color bench: the LiteRT comparison (issue 27)
CASES += [
    Case(
        "cb_tflite_int8_missing",
        [*_BENCH, "--tflite-int8", "{tmp}/none.tflite", "--frames", "1"],
        ["--tflite-int8", "none.tflite"],
    ),
    Case(
        "cb_tflite_fp32_not_tflite",
        [*_BENCH, "--tflite-fp32", "{fx}/text.onnx", "--frames", "1"],
        ["--tflite-fp32", "text.onnx"],
    ),
]
