"""GUI widgets fed with hand-made updates and frames (no pipeline, no model)."""

from __future__ import annotations

from argparse import Namespace
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pyqtgraph")

from PySide6.QtCore import Qt  # noqa: E402

from skelapp.app.gui import spec_from_args  # noqa: E402
from skelapp.app.gui.bars import ProbabilityBars  # noqa: E402
from skelapp.app.gui.description_panel import DescriptionPanel  # noqa: E402
from skelapp.app.gui.feed import LiveFeed  # noqa: E402
from skelapp.app.gui.skeleton_view import SourceView, bone_sides  # noqa: E402
from skelapp.app.gui.timeline import Timeline  # noqa: E402
from skelapp.app.gui.video_sync import find_companion_video, skeleton_stem  # noqa: E402
from skelapp.core.descriptions import ActionDescription, Descriptions  # noqa: E402
from skelapp.core.layouts import CANONICAL, NTU25  # noqa: E402
from skelapp.core.prediction import ClassScore, PredictionUpdate  # noqa: E402
from skelapp.core.skeleton import SkeletonFrame  # noqa: E402

LABELS = ["wave", "clap", "kick", "sit"]


def upd(t: float, probs, label: str = "idle", committed: bool = False, seg: int = -1) -> PredictionUpdate:
    p = np.asarray(probs, float)
    order = np.argsort(-p)[:3]
    top = [ClassScore(int(i), LABELS[i], float(p[i])) for i in order]
    return PredictionUpdate(t, int(t * 30), 0, top, label, committed, 0.4, list(p), seg)


def test_bars_tentative_vs_committed(qtbot) -> None:
    b = ProbabilityBars(k=4)
    qtbot.addWidget(b)
    b.set_labels(LABELS)
    b.set_update(upd(0.0, [0.1, 0.2, 0.3, 0.4]))
    assert b.state == "idle" and b.badge.text() == "IDLE"
    assert [s.label for s in b.shown] == ["sit", "kick", "clap", "wave"]  # extended past top-3
    b.set_update(upd(0.5, [0.7, 0.1, 0.1, 0.1], "wave", committed=False, seg=0))
    assert b.state == "early" and b.badge.text().startswith("EARLY")
    hatch = b.hatch.opts["brushes"][0]
    assert hatch.style() == Qt.BDiagPattern and b.fill.opts["brushes"][0].color().alpha() < 255
    b.set_update(upd(1.0, [0.9, 0.05, 0.03, 0.02], "wave", committed=True, seg=0))
    assert b.state == "committed" and b.badge.text() == "COMMITTED"
    assert b.hatch.opts["brushes"][0].style() == Qt.NoBrush
    assert b.fill.opts["brushes"][0].color().alpha() == 255
    assert b.widths[0] == pytest.approx(0.9)


def test_timeline_segments_and_window(qtbot) -> None:
    tl = Timeline(window_s=10.0)
    qtbot.addWidget(tl)
    tl.set_labels(LABELS)
    for i in range(600):  # 20 s at 30 Hz: wave segment 2-5 s (early until 3 s), clap 8-12 s
        t = i / 30
        if 2 <= t < 5:
            u = upd(t, [0.8, 0.1, 0.05, 0.05], "wave", committed=t >= 3, seg=0)
        elif 8 <= t < 12:
            u = upd(t, [0.1, 0.8, 0.05, 0.05], "clap", committed=True, seg=1)
        else:
            u = upd(t, [0.25, 0.25, 0.25, 0.25])
        tl.add(u)
        if i == 299:
            tl.refresh()
            segs = tl.model.segments
            assert [(s.label, s.committed) for s in segs] == [("wave", True), ("clap", True)]
            assert segs[0].start == pytest.approx(2.0) and segs[0].end == pytest.approx(5 - 1 / 30)
    tl.refresh()
    m = tl.model
    assert m.times[0] >= m.now - m.keep_s  # history trimmed
    assert [s.label for s in m.segments] == ["clap"]  # wave ended > 12 s ago
    assert tl.plot.viewRange()[0] == pytest.approx([m.now - 10, m.now], abs=1e-6)
    assert "clap" in tl.legend.text()
    tl.add(upd(0.0, [1, 0, 0, 0]))  # source restarted: history starts over
    assert len(tl.model) == 1


def test_description_follows_label(qtbot) -> None:
    parts = {"hands": "open palm", "arms": "raised"}
    d = Descriptions("toy", [ActionDescription("wave", "Waves a hand.", parts)])
    p = DescriptionPanel()
    qtbot.addWidget(p)
    p.set_descriptions(d)
    p.show_class("wave", tentative=True)
    assert "Waves a hand." in p.text() and "early guess" in p.text() and "open palm" in p.text()
    assert p.text().index("Hands") < p.text().index("Arms")  # head-to-feet order
    p.show_class("wave")
    assert "early guess" not in p.text()
    p.show_class("clap")
    assert p.current_class == "clap" and "No description" in p.text()
    p.show_class(None)
    assert p.current_class is None


def _frame(m: int = 2, image: bool = False) -> SkeletonFrame:
    rng = np.random.default_rng(0)
    j = rng.normal(0, 0.3, (m, 25, 3)).astype(np.float32) + [0, 0, 3]
    xy = rng.uniform(100, 500, (m, 25, 2)).astype(np.float32)
    img = np.full((540, 960, 3), 90, np.uint8) if image else None
    return SkeletonFrame(j, np.ones((m, 25), np.float32), 1.0, 30, NTU25, tuple(range(m)), xy, img)


def test_source_view_draws_image_and_3d(qtbot) -> None:
    v = SourceView()
    qtbot.addWidget(v)
    v.resize(640, 400)
    v.show()
    v.set_frame(_frame(image=True))
    assert v.canvas.showing_image
    v.set_caption("wave (early)")
    assert not v.canvas.grab().toImage().isNull()
    v.force_3d.setChecked(True)
    assert not v.canvas.showing_image
    v.set_frame(_frame(image=False))
    a = v.canvas._projected_points(v.canvas.frame)
    v.canvas.set_view(45.0, 20.0)
    assert v.slider.value() == 45
    assert not np.allclose(a, v.canvas._projected_points(v.canvas.frame))
    v.canvas.grab()
    v.clear()
    assert v.canvas.frame is None


def test_bone_sides() -> None:
    sides = bone_sides(CANONICAL)
    names = CANONICAL.joint_names
    for (c, _p), s in zip(CANONICAL.bones, sides, strict=True):
        if "left" in names[c]:
            assert s == "left"
        if names[c] == "head":
            assert s == "centre"


def test_feed_keeps_only_latest_frame() -> None:
    feed = LiveFeed()
    f1, f2 = _frame(1, image=True), _frame(1, image=True)
    feed.start_recording()
    feed.push_frame(f1)
    feed.push_frame(f2)
    assert feed.take_frame() is f2 and feed.take_frame() is None
    rec = feed.stop_recording()
    assert len(rec) == 2 and rec[0].image is None  # recording drops images


def test_spec_from_args_and_companion_video(tmp_path: Path, data_dir: Path) -> None:
    args = Namespace(replay=str(data_dir / "ntu_rgbd_skeleton_samples" / "S001C001P001R001A001.skeleton"),
                     video=None, camera=None, kinect=False, kinect_playback=None, model=None,
                     speed=2.0, loop=True, fast=False)
    spec = spec_from_args(args)
    assert spec.kind == "replay" and spec.speed == 2.0 and spec.loop
    assert spec.video.endswith("videos/S001C001P001R001A001_rgb.avi")
    assert spec_from_args(Namespace(replay=None, video=None, camera=0)).kind == "camera"
    assert spec_from_args(Namespace()) is None
    assert skeleton_stem("a/b/X.skel.npz") == "X"
    (tmp_path / "X.skeleton").write_text("")
    assert find_companion_video(tmp_path / "X.skeleton") is None
    (tmp_path / "X_rgb.avi").write_bytes(b"")
    assert find_companion_video(tmp_path / "X.skeleton") == tmp_path / "X_rgb.avi"
