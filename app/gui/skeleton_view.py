"""Source view: the camera/video image with the 2D skeleton on top, or a rotatable 3D projection.

Drawn with QPainter (a few dozen lines per frame). Bones are coloured by anatomical side
(each body has its own colour family), joints are filled by tracking confidence.
With no image (``.skeleton`` replay) the 3D joints are projected orthographically; drag with
the mouse or move the slider to rotate, double-click to reset.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from skelapp.core.layouts import JointLayout
from skelapp.core.skeleton import SkeletonFrame

from . import theme

VIEW_HEIGHT_M = 2.3  # metres of scene shown vertically in the 3D projection


def bone_sides(layout: JointLayout) -> list[str]:
    """Side of each bone (that of its child joint, or the parent's when the child is central)."""
    out = []
    for c, p in layout.bones:
        s = layout.side(c)
        out.append(s if s != "centre" else layout.side(p))
    return out


def rotation(yaw_deg: float, pitch_deg: float) -> np.ndarray:
    """3x3 rotation: yaw about +y, then pitch about +x."""
    y, p = math.radians(yaw_deg), math.radians(pitch_deg)
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    return (rx @ ry).astype(np.float32)


class SkeletonCanvas(QWidget):
    """The drawing surface; see module docstring."""

    view_changed = Signal(float, float)  # yaw, pitch in degrees

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(320, 200)
        self.setMouseTracking(False)
        self.frame: SkeletonFrame | None = None
        self.yaw = 0.0
        self.pitch = 10.0
        self.force_3d = False
        self.caption = ""
        self.caption_colour = QColor(theme.TEXT)
        self.placeholder = "No source running. Choose a source and press Start (Space)."
        self.zoom_to_body = True
        self._qimage: QImage | None = None
        self._img_buf: np.ndarray | None = None  # keeps the QImage's pixels alive
        self._image_size = (0, 0)  # original (w, h) in pixels
        self._step = 1  # stride the displayed image was downsampled by
        self._focus_box: np.ndarray | None = None  # smoothed [cx, cy, h] of the bodies, pixels
        self._centre: np.ndarray | None = None
        self._floor: float | None = None
        self._drag: QPointF | None = None
        self._sides_cache: tuple[str, list[str]] | None = None

    # ------------------------------------------------------------------ data
    def set_frame(self, frame: SkeletonFrame | None) -> None:
        self.frame = frame
        self._qimage = None
        if frame is not None and frame.image is not None:
            self._qimage = self._to_qimage(frame.image)
            self._track_box(frame)
        if frame is not None:
            self._track_centre(frame)
        self.update()

    def clear(self) -> None:
        self.frame, self._qimage, self._centre, self._floor = None, None, None, None
        self._focus_box = None
        self.update()

    def set_view(self, yaw: float, pitch: float | None = None) -> None:
        self.yaw = float(yaw)
        if pitch is not None:
            self.pitch = float(max(-80.0, min(80.0, pitch)))
        self.view_changed.emit(self.yaw, self.pitch)
        self.update()

    @property
    def showing_image(self) -> bool:
        return self._qimage is not None and not self.force_3d

    def _to_qimage(self, img: np.ndarray) -> QImage:
        h, w = img.shape[:2]
        self._image_size = (w, h)
        # cheap stride downsample when even the zoomed crop has more pixels than the widget
        shown = w * (0.5 if self.zoom_to_body else 1.0)
        step = max(1, int(shown // max(self.width(), 1)))
        self._step = step
        if step > 1:
            img = img[::step, ::step]
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        img = np.ascontiguousarray(img[..., :3], dtype=np.uint8)
        self._img_buf = img
        return QImage(img.data, img.shape[1], img.shape[0], img.strides[0], QImage.Format_BGR888)

    def _track_box(self, frame: SkeletonFrame) -> None:
        """Smoothed centre and height of the bodies in image pixels (for zoom-to-body)."""
        if frame.image_xy is None:
            return
        ok = frame.confidence > 0
        if not ok.any():
            return
        xy = np.asarray(frame.image_xy)[ok]
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        box = np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, max(hi[1] - lo[1], hi[0] - lo[0])])
        a = 0.12 if self._focus_box is not None else 1.0
        self._focus_box = box if self._focus_box is None else (1 - a) * self._focus_box + a * box

    def _track_centre(self, frame: SkeletonFrame) -> None:
        ok = frame.confidence > 0
        if not ok.any():
            return
        pts = frame.joints[ok]
        c = pts.mean(axis=0)
        floor = float(pts[:, 1].min())
        a = 0.15 if self._centre is not None else 1.0  # smooth so the view does not jitter
        self._centre = c if self._centre is None else (1 - a) * self._centre + a * c
        self._floor = floor if self._floor is None else min(self._floor * (1 - a) + a * floor, floor + 0.3)

    # --------------------------------------------------------------- drawing
    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        p.setRenderHint(QPainter.SmoothPixmapTransform)
        p.fillRect(self.rect(), QColor("#0d0f13"))
        f = self.frame
        if f is None:
            self._draw_centered_text(p, self.placeholder)
        elif self.showing_image and f.image_xy is not None:
            geom = self._draw_image(p)
            self._draw_bodies(p, f, self._image_points(f, geom))
        elif self.showing_image:
            self._draw_image(p)
        else:
            self._draw_floor(p)
            self._draw_bodies(p, f, self._projected_points(f))
            self._draw_hint(p, "drag to rotate · double-click resets")
        if f is not None:
            self._draw_overlay_text(p, f)
        p.end()

    def _fit_rect(self, w: float, h: float) -> QRectF:
        r = self.rect()
        s = min(r.width() / max(w, 1), r.height() / max(h, 1))
        return QRectF((r.width() - w * s) / 2, (r.height() - h * s) / 2, w * s, h * s)

    def _crop(self) -> QRectF:
        """Part of the image to show (original pixels): all of it, or a box around the bodies."""
        w, h = self._image_size
        full = QRectF(0, 0, w, h)
        if not self.zoom_to_body or self._focus_box is None:
            return full
        cx, cy, size = (float(v) for v in self._focus_box)
        ch = min(max(size * 1.5, 0.4 * h), h)
        cw = ch * self.width() / max(self.height(), 1)
        if cw > w:  # widget wider than the image allows: fit the width instead
            cw = w
            ch = min(cw * self.height() / max(self.width(), 1), h)
        x0 = min(max(cx - cw / 2, 0), w - cw)
        y0 = min(max(cy - ch / 2, 0), h - ch)
        return QRectF(x0, y0, cw, ch)

    def _draw_image(self, p: QPainter) -> tuple[QRectF, QRectF]:
        crop = self._crop()
        target = self._fit_rect(crop.width(), crop.height())
        s = self._step
        src = QRectF(crop.left() / s, crop.top() / s, crop.width() / s, crop.height() / s)
        p.drawImage(target, self._qimage, src)
        return crop, target

    def _image_points(self, f: SkeletonFrame, geom: tuple[QRectF, QRectF]) -> np.ndarray:
        crop, target = geom
        xy = np.asarray(f.image_xy, dtype=np.float32)
        out = np.empty_like(xy)
        out[..., 0] = target.left() + (xy[..., 0] - crop.left()) * target.width() / max(crop.width(), 1)
        out[..., 1] = target.top() + (xy[..., 1] - crop.top()) * target.height() / max(crop.height(), 1)
        return out

    def _scale(self) -> float:
        return 0.92 * self.height() / VIEW_HEIGHT_M

    def _project(self, pts: np.ndarray) -> np.ndarray:
        """(..., 3) camera-space metres -> (..., 2) widget pixels (as seen from the sensor)."""
        c = self._centre if self._centre is not None else np.zeros(3, np.float32)
        q = (pts - c) @ rotation(self.yaw, self.pitch).T
        s = self._scale()
        out = np.empty(q.shape[:-1] + (2,), np.float32)
        out[..., 0] = self.width() / 2 - s * q[..., 0]  # +x is the sensor's left
        out[..., 1] = self.height() / 2 - s * q[..., 1]
        return out

    def _projected_points(self, f: SkeletonFrame) -> np.ndarray:
        return self._project(np.asarray(f.joints, np.float32))

    def _draw_floor(self, p: QPainter) -> None:
        if self._centre is None or self._floor is None:
            return
        cx, cz = float(self._centre[0]), float(self._centre[2])
        ticks = np.arange(-1.5, 1.51, 0.5, dtype=np.float32)
        pen = QPen(QColor(theme.BORDER), 1)
        p.setPen(pen)
        for t in ticks:
            for a, b in (
                ((cx + t, cz - 1.5), (cx + t, cz + 1.5)),
                ((cx - 1.5, cz + t), (cx + 1.5, cz + t)),
            ):
                seg = np.array([[a[0], self._floor, a[1]], [b[0], self._floor, b[1]]], np.float32)
                (x0, y0), (x1, y1) = self._project(seg)
                p.drawLine(QPointF(x0, y0), QPointF(x1, y1))

    def _sides(self, layout: JointLayout) -> list[str]:
        if self._sides_cache is None or self._sides_cache[0] != layout.name:
            self._sides_cache = (layout.name, bone_sides(layout))
        return self._sides_cache[1]

    def _draw_bodies(self, p: QPainter, f: SkeletonFrame, pts: np.ndarray) -> None:
        sides = self._sides(f.layout)
        scale = max(self.height() / 400.0, 0.8)
        for m in range(f.num_bodies):
            conf = f.confidence[m]
            if not (conf > 0).any():
                continue
            colours = theme.SIDE_COLOURS[m % len(theme.SIDE_COLOURS)]
            for (c, par), side in zip(f.layout.bones, sides, strict=False):
                if conf[c] <= 0 or conf[par] <= 0:
                    continue
                pen = QPen(QColor(colours[side]), 3.0 * scale)
                pen.setCapStyle(Qt.RoundCap)
                if min(conf[c], conf[par]) < 0.75:
                    pen.setStyle(Qt.DashLine)  # inferred joints: dashed bone
                p.setPen(pen)
                p.drawLine(QPointF(*pts[m, c]), QPointF(*pts[m, par]))
            r = 4.0 * scale
            for j in range(f.layout.num_joints):
                if conf[j] <= 0:
                    continue
                p.setPen(QPen(QColor("#0d0f13"), 1.2))
                p.setBrush(theme.confidence_colour(conf[j]))
                p.drawEllipse(QPointF(*pts[m, j]), r, r)
            self._draw_body_tag(p, f, m, pts[m], QColor(colours["centre"]))
        p.setBrush(Qt.NoBrush)

    def _draw_body_tag(self, p: QPainter, f: SkeletonFrame, m: int, pts: np.ndarray, col: QColor) -> None:
        if f.num_bodies < 2:
            return
        ok = f.confidence[m] > 0
        top = pts[ok][np.argmin(pts[ok][:, 1])]
        p.setPen(col)
        p.setFont(self._font(9, bold=True))
        p.drawText(QPointF(top[0] - 20, top[1] - 12), f"body {m + 1}")

    def _font(self, size: int, bold: bool = False) -> QFont:
        font = QFont(self.font())
        font.setPointSize(size)
        font.setBold(bold)
        return font

    def _draw_overlay_text(self, p: QPainter, f: SkeletonFrame) -> None:
        p.setFont(self._font(9))
        bodies = f"{f.num_bodies} bod{'y' if f.num_bodies == 1 else 'ies'}"
        info = f"frame {f.index}  ·  t = {f.timestamp:5.2f} s  ·  {bodies}"
        dim = QColor(theme.TEXT_DIM)
        info_right = self._pill(p, QPointF(8, self.height() - 8), info, dim, anchor_bottom=True)
        self._draw_legend(p, f, info_right)
        if self.caption:
            p.setFont(self._font(13, bold=True))
            self._pill(p, QPointF(8, 8), self.caption, self.caption_colour)

    def _draw_legend(self, p: QPainter, f: SkeletonFrame, avoid_x: float) -> None:
        """Bottom-right key (one row up if it would hit the info pill ending at *avoid_x*)."""
        p.setFont(self._font(8))
        fm = p.fontMetrics()
        n = max(1, min(f.num_bodies, len(theme.SIDE_COLOURS)))
        items: list[tuple[QColor, str]] = []
        for m in range(n):
            c = theme.SIDE_COLOURS[m]
            tag = f" {m + 1}" if n > 1 else ""
            items += [(QColor(c["left"]), f"left{tag}"), (QColor(c["right"]), f"right{tag}")]
        items += [(theme.confidence_colour(1.0), "tracked"), (theme.confidence_colour(0.5), "inferred")]
        sw = 10
        widths = [sw + 4 + fm.horizontalAdvance(t) + 10 for _, t in items]
        w, h = sum(widths) + 8, fm.height() + 6
        x, y = self.width() - w - 8, self.height() - h - 8
        if x < avoid_x + 8:
            y -= h + 6
        p.setPen(Qt.NoPen)
        p.setBrush(QColor(13, 15, 19, 190))
        p.drawRoundedRect(QRectF(x, y, w, h), 6, 6)
        x += 6
        for (col, text), iw in zip(items, widths, strict=True):
            p.setPen(Qt.NoPen)
            p.setBrush(col)
            p.drawRoundedRect(QRectF(x, y + (h - sw) / 2, sw, sw), 2, 2)
            p.setPen(QColor(theme.TEXT_DIM))
            p.drawText(QRectF(x + sw + 4, y, iw - sw - 4, h), Qt.AlignVCenter | Qt.AlignLeft, text)
            x += iw
        p.setBrush(Qt.NoBrush)

    def _pill(self, p: QPainter, at: QPointF, text: str, col: QColor, anchor_bottom: bool = False) -> float:
        """Text on a translucent rounded box; returns the box's right edge."""
        fm = p.fontMetrics()
        w, h = fm.horizontalAdvance(text) + 16, fm.height() + 6
        y = at.y() - h if anchor_bottom else at.y()
        p.setPen(Qt.NoPen)
        p.setBrush(QColor(13, 15, 19, 190))
        p.drawRoundedRect(QRectF(at.x(), y, w, h), 6, 6)
        p.setBrush(Qt.NoBrush)
        p.setPen(col)
        p.drawText(QRectF(at.x(), y, w, h), Qt.AlignCenter, text)
        return at.x() + w

    def _draw_hint(self, p: QPainter, text: str) -> None:
        p.setFont(self._font(8))
        p.setPen(QColor(theme.TEXT_DIM))
        p.drawText(self.rect().adjusted(0, 8, -10, 0), Qt.AlignRight | Qt.AlignTop, text)

    def _draw_centered_text(self, p: QPainter, text: str) -> None:
        p.setPen(QColor(theme.TEXT_DIM))
        p.setFont(self._font(11))
        p.drawText(self.rect(), Qt.AlignCenter | Qt.TextWordWrap, text)

    # ----------------------------------------------------------------- mouse
    def mousePressEvent(self, e: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if e.button() == Qt.LeftButton and not self.showing_image:
            self._drag = e.position()

    def mouseMoveEvent(self, e: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if self._drag is None:
            return
        d = e.position() - self._drag
        self._drag = e.position()
        yaw = (self.yaw + d.x() * 0.5 + 180.0) % 360.0 - 180.0
        self.set_view(yaw, self.pitch + d.y() * 0.3)

    def mouseReleaseEvent(self, e: QMouseEvent) -> None:  # noqa: N802 - Qt API
        self._drag = None

    def mouseDoubleClickEvent(self, e: QMouseEvent) -> None:  # noqa: N802 - Qt API
        self.set_view(0.0, 10.0)


class SourceView(QWidget):
    """Canvas + a row with the yaw slider and a '3D view' toggle."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = SkeletonCanvas(self)
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(-180, 180)
        self.slider.setValue(0)
        self.slider.setToolTip("Rotate the 3D skeleton about the vertical axis")
        self.zoom = QCheckBox("Zoom to body")
        self.zoom.setChecked(True)
        self.zoom.setToolTip("Crop the camera image around the people")
        self.force_3d = QCheckBox("3D view")
        self.force_3d.setToolTip("Show the rotatable 3D skeleton even when a camera image is available")
        row = QHBoxLayout()
        row.setContentsMargins(4, 0, 4, 0)
        self.rotate_label = QLabel("Rotate")
        row.addWidget(self.rotate_label)
        row.addWidget(self.slider, 4)
        row.addStretch(1)
        row.addWidget(self.zoom)
        row.addWidget(self.force_3d)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        lay.addWidget(self.canvas, 1)
        lay.addLayout(row)
        self.slider.valueChanged.connect(lambda v: self.canvas.set_view(float(v)))
        self.canvas.view_changed.connect(self._sync_slider)
        self.force_3d.toggled.connect(self._toggle_3d)
        self.zoom.toggled.connect(self._toggle_zoom)

    def _sync_slider(self, yaw: float, _pitch: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(round(yaw))
        self.slider.blockSignals(False)

    def _toggle_3d(self, on: bool) -> None:
        self.canvas.force_3d = on
        self.canvas.update()

    def _toggle_zoom(self, on: bool) -> None:
        self.canvas.zoom_to_body = on
        self.canvas.set_frame(self.canvas.frame)

    def set_frame(self, frame: SkeletonFrame | None) -> None:
        self.canvas.set_frame(frame)
        rot = not self.canvas.showing_image
        if self.slider.isHidden() == rot:
            self.slider.setVisible(rot)
            self.rotate_label.setVisible(rot)
        has_image = frame is not None and frame.image is not None
        if self.zoom.isHidden() == has_image:
            self.zoom.setVisible(has_image)
            self.force_3d.setVisible(has_image)

    def set_caption(self, text: str, colour: str = theme.TEXT) -> None:
        self.canvas.caption = text
        self.canvas.caption_colour = QColor(colour)
        self.canvas.update()

    def clear(self) -> None:
        self.canvas.clear()
