"""Causal spatio-temporal graph convolution network with explicit streaming state.

One forward serves both uses: ``forward(x, *states) -> (logits, *new_states)`` with ``x`` of
shape ``(B, T, V, C)``. Offline, pass zero states (:meth:`CausalSTGCN.initial_states`) and the
whole clip; streaming, pass one frame (``T = 1``) and the states returned by the previous call.
Every temporal operation is causal (it sees only the current and earlier frames), so both give
the same per-frame logits. (``ModelConfig.causal`` false is an offline-only research baseline
whose temporal convs also read later frames; it has no streaming form.) Layout inside the network
is ``(B, C, T, V)``.

Three input streams share the same features: ``joint`` uses them as given, ``bone`` replaces each
joint's position and velocity by its difference to the parent joint's, and ``joint_bone`` reads
both side by side (twice the input channels, early fusion in one network). Bones are computed
inside the network, so the app feeds every model the same input. :class:`EnsembleSTGCN` averages
the class probabilities of several such models in one graph with their states side by side,
optionally also on the mirrored input (test-time mirror averaging).

The blocks are in :mod:`.layers` (convolutions, the spatio-temporal block), :mod:`.graph` (the body
graph and its parts) and :mod:`.window_pool` (the classifier's window).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch
from torch import Tensor, nn

from skelapp.core.layouts import CANONICAL
from skelapp.core.normalize import mirror_sign

from .choices import STREAMS
from .graph import BODY_PARTS, graph_partitions, lateral_part_sides, part_joint_indices
from .layers import TEMPORAL_CONVS, STBlock, batch_norm
from .window_pool import WINDOW_POOLS, CausalWindowPool

READOUTS = ("joints", "parts", "parts_lateral", "joints_meanmax")


@dataclass
class ModelConfig:
    """Architecture hyperparameters (stored in checkpoints and ONNX metadata)."""

    num_classes: int = 10
    in_channels: int = 6
    num_joints: int = 20
    channels: tuple[int, ...] = (32, 32, 64, 64, 128, 128)
    dilations: tuple[int, ...] = (1, 1, 2, 2, 4, 4)
    kernel: int = 5
    window: int = 64  # frames averaged by the causal classifier window
    # over the window: "mean", "meanmax" (mean and max side by side), "gated" (a learned per-frame
    # weight, so the classifier can discount frames such as the return to rest) or "mean_recent"
    # (the mean and the mean of the window's newer half side by side; see CausalWindowPool)
    window_pool: str = "mean"
    # what the window pool reads per frame: "joints" (the last block's map averaged over all joints)
    # or "parts" (averaged over each of BODY_PARTS, side by side: len(BODY_PARTS) times the channels)
    # or "joints_meanmax" (the mean and the maximum over all joints, side by side: twice the channels;
    # a hand-only activation is not diluted by the other 19 joints), or "parts_lateral" ("parts" and,
    # for each part with sides (hands, arms, legs, feet), |left side's mean - right side's mean|: how
    # differently the two sides move, e.g. one hand or both, the same for a mirror image)
    readout: str = "joints"
    dropout: float = 0.1
    stream: str = "joint"  # joint | bone | joint_bone (see module docstring)
    # channel groups with their own learned adjacency offset (decoupled GCN); 1 = one shared offset
    graph_groups: int = 1
    # farthest graph distance with its own partition: 1 = ST-GCN's three (self, inward, outward);
    # k > 1 adds one partition per distance 2..k (joints exactly that many bones apart, MS-G3D's
    # disentangled multi-scale aggregation), so a block sees a wider body neighbourhood at once
    graph_hops: int = 1
    tcn: str = "single"  # temporal conv of each block: "single", or "multiscale" (see MultiScaleTemporalConv)
    # heads of a per-frame, data-dependent adjacency in every block (see GraphConv); 0 = none
    dynamic_graph: int = 0
    # DropGraph-style regularisation (training only): expected fraction of joints whose block output
    # is zeroed, dropped as a random joint together with its graph neighbours; 0 = off
    drop_joints: float = 0.0
    # stochastic depth (training only): per sample, block i of n skips its GCN-TCN branch (keeping
    # the shortcut) with probability drop_path * i / (n - 1), a kept branch scaled up to match; 0 = off
    drop_path: float = 0.0
    # training only: BatchNorm statistics from the real frames of a padded batch (the mask that
    # forward_offline is given), not from the padding after shorter clips; eval is unaffected
    masked_bn: bool = False
    # a learned vector per joint added to the first block's output (SGN's joint-type semantics): the
    # shared 1x1 convolutions then know which joint they read beyond what the graph implies
    joint_embedding: bool = False
    # False: a research baseline, not an app model: every temporal conv reads half its context from
    # later frames (zero-padded at the clip's end), so offline logits see the future and there is no
    # streaming form; it measures what causality costs a whole-clip score (early scores then leak)
    causal: bool = True
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["channels"], d["dilations"] = list(self.channels), list(self.dilations)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ModelConfig:
        d = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        for k in ("channels", "dilations"):
            if k in d:
                d[k] = tuple(d[k])
        return cls(**d)


class CausalSTGCN(nn.Module):
    """Per-frame action recognizer on the canonical 20-joint graph (see module docstring)."""

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__()
        cfg = self.config = config or ModelConfig()
        if len(cfg.channels) != len(cfg.dilations):
            raise ValueError("channels and dilations must have the same length")
        if cfg.stream not in STREAMS:
            raise ValueError(f"unknown input stream {cfg.stream!r}; use one of {', '.join(STREAMS)}")
        if cfg.window_pool not in WINDOW_POOLS:
            raise ValueError(f"unknown window_pool {cfg.window_pool!r}; use one of {', '.join(WINDOW_POOLS)}")
        if cfg.readout not in READOUTS:
            raise ValueError(f"unknown readout {cfg.readout!r}; use one of {', '.join(READOUTS)}")
        if cfg.tcn not in TEMPORAL_CONVS:
            raise ValueError(f"unknown tcn {cfg.tcn!r}; use one of {', '.join(TEMPORAL_CONVS)}")
        if cfg.masked_bn and cfg.tcn != "single":
            raise ValueError("masked_bn masks the BatchNorms of tcn 'single' blocks only")
        if not cfg.causal and cfg.tcn != "single":
            raise ValueError("a non-causal model (causal false) has tcn 'single' blocks only")
        parts = graph_partitions(CANONICAL, cfg.graph_hops)
        if parts.shape[1] != cfg.num_joints:
            raise ValueError(f"the canonical graph has {parts.shape[1]} joints, not {cfg.num_joints}")
        cin = cfg.in_channels * (2 if cfg.stream == "joint_bone" else 1)
        self.data_bn = nn.BatchNorm1d(cin * cfg.num_joints)
        blocks = []
        if not 0.0 <= cfg.drop_path < 1.0:
            raise ValueError(f"drop_path is a probability in [0, 1), got {cfg.drop_path!r}")
        last = max(1, len(cfg.channels) - 1)
        for i, (c, d) in enumerate(zip(cfg.channels, cfg.dilations, strict=True)):
            blocks.append(STBlock(cin, c, cfg.kernel, d, parts, cfg.dropout, cfg.graph_groups, cfg.tcn,
                                  cfg.dynamic_graph, cfg.drop_joints, cfg.causal, cfg.drop_path * i / last))
            cin = c
        self.blocks = nn.ModuleList(blocks)
        self.joint_embed = (nn.Parameter(torch.zeros(1, cfg.channels[0], 1, cfg.num_joints))
                            if cfg.joint_embedding else None)
        # readout "parts": a (V, P) matrix averaging each body part's joints ("parts_lateral": then
        # one column per sided part, its left joints' mean minus its right joints'); "joints": none
        groups = part_joint_indices() if cfg.readout in ("parts", "parts_lateral") else []
        sides = lateral_part_sides() if cfg.readout == "parts_lateral" else []
        part_means = None
        if groups:
            part_means = torch.zeros(cfg.num_joints, len(groups) + len(sides))
            for k, joints in enumerate(groups):
                part_means[joints, k] = 1.0 / len(joints)
            for k, (left, right) in enumerate(sides, start=len(groups)):
                part_means[left, k], part_means[right, k] = 1.0 / len(left), -1.0 / len(right)
        self.register_buffer("part_means", part_means, persistent=False)
        self.feature_dim = cin  # channels per joint (what language supervision pools)
        # channels per frame that the window pool reads: C per joint mean, part mean (and side
        # difference) or joint maximum
        self.readout_dim = cin * {"joints": 1, "joints_meanmax": 2, "parts": len(BODY_PARTS),
                                  "parts_lateral": len(BODY_PARTS) + len(sides)}[cfg.readout]
        self.pool = CausalWindowPool(cfg.window, with_max=cfg.window_pool == "meanmax",
                                     channels=self.readout_dim, gated=cfg.window_pool == "gated",
                                     recent=cfg.window // 2 if cfg.window_pool == "mean_recent" else 0)
        self.fc = nn.Linear(self.readout_dim * self.pool.outputs_per_channel, cfg.num_classes)
        parents = torch.from_numpy(CANONICAL.parents.astype(np.int64))
        self.register_buffer("parents", parents, persistent=False)

    def keep_classes(self, k: int) -> CausalSTGCN:
        """Keep the classifier's first *k* classes (drop those a co-trained dataset added after them).
        Their logits are unchanged (up to float rounding), and so is the arg-max among them."""
        if not 0 < k <= self.config.num_classes:
            raise ValueError(f"cannot keep {k} of {self.config.num_classes} classes")
        fc = nn.Linear(self.fc.in_features, k).to(self.fc.weight.device)
        with torch.no_grad():
            fc.weight.copy_(self.fc.weight[:k])
            fc.bias.copy_(self.fc.bias[:k])
        self.fc, self.config = fc, replace(self.config, num_classes=k)
        return self

    def state_shapes(self) -> list[tuple[int, ...]]:
        """Per-state shapes without the batch dimension, in forward order."""
        shapes: list[tuple[int, ...]] = [b.state_shape(self.config.num_joints) for b in self.blocks]
        shapes.append((self.readout_dim + 1, self.config.window - 1))
        return shapes

    def initial_states(self, batch: int = 1, device: torch.device | str | None = None) -> list[Tensor]:
        """Zero states = a fresh stream."""
        return [torch.zeros((batch, *s), device=device) for s in self.state_shapes()]

    def features(self, x: Tensor, states: list[Tensor] | tuple[Tensor, ...],
                 mask: Tensor | None = None) -> tuple[Tensor, list[Tensor]]:
        """``(B, T, V, C)`` -> last block's map ``(B, C', T, V)`` and the new block states. With
        ``masked_bn``, *mask* ``(B, T)`` marks the real frames for training's BatchNorm statistics."""
        if not self.config.masked_bn:
            mask = None
        if self.config.stream != "joint":
            bones = x - x[:, :, self.parents]  # the root's parent is itself: its bone is zero
            x = bones if self.config.stream == "bone" else torch.cat([x, bones], dim=3)
        b, t, v, c = x.shape
        x = batch_norm(self.data_bn, x.permute(0, 2, 3, 1).reshape(b, v * c, t), mask)
        x = x.view(b, v, c, t).permute(0, 2, 3, 1)
        new_states = []
        for i, (block, s) in enumerate(zip(self.blocks, states, strict=False)):
            x, ns = block(x, s, mask)
            if i == 0 and self.joint_embed is not None:
                x = x + self.joint_embed  # per joint, the same in every frame: streaming stays exact
            new_states.append(ns)
        return x, new_states

    def head(self, fmap: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        """Joint- (or part-) pooled map -> windowed mean -> per-frame logits ``(B, T, K)``."""
        if self.part_means is not None:
            b, _, t, _ = fmap.shape
            per_frame = torch.matmul(fmap, self.part_means)  # (B, C, T, P [+ L side differences])
            if self.config.readout == "parts_lateral":
                p = len(BODY_PARTS)
                per_frame = torch.cat([per_frame[..., :p], per_frame[..., p:].abs()], 3)
            per_frame = per_frame.permute(0, 3, 1, 2).reshape(b, self.readout_dim, t)  # part-major
        elif self.config.readout == "joints_meanmax":
            per_frame = torch.cat([fmap.mean(dim=3), fmap.amax(dim=3)], dim=1)  # (B, 2C, T)
        else:
            per_frame = fmap.mean(dim=3)
        pooled, new_state = self.pool(per_frame, state)
        return self.fc(pooled.transpose(1, 2)), new_state

    def forward(self, x: Tensor, *states: Tensor) -> tuple[Tensor, ...]:
        if not self.config.causal:
            raise ValueError("a non-causal model (ModelConfig causal false) has no streaming form; "
                             "it runs offline only (forward_offline)")
        if len(states) != len(self.blocks) + 1:
            raise ValueError(f"expected {len(self.blocks) + 1} states, got {len(states)}")
        fmap, new_states = self.features(x, states)
        logits, ps = self.head(fmap, states[-1])
        return (logits, *new_states, ps)

    def forward_offline(self, x: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Whole clips from a fresh stream: per-frame logits and the last feature map (*mask*: see
        :meth:`features`)."""
        states = self.initial_states(x.shape[0], x.device)
        fmap, _ = self.features(x, states, mask)
        logits, _ = self.head(fmap, states[-1])
        return logits, fmap


class EnsembleSTGCN(nn.Module):
    """Several :class:`CausalSTGCN` (e.g. joint + bone streams) run on the same input.

    Output "logits" are ``log(mean softmax(logits))`` over the members (and, with ``mirror``, over
    each member on the input and on its mirror image, see :func:`skelapp.core.normalize.
    mirror_features`), so a softmax downstream gives the averaged class probabilities. States are
    the members' states, concatenated (those of the mirrored pass after the plain pass's)."""

    def __init__(self, members: list[CausalSTGCN], mirror: bool = False) -> None:
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one member")
        first = members[0].config
        for m in members[1:]:
            c = m.config
            if (c.num_classes, c.in_channels, c.num_joints) != (first.num_classes, first.in_channels,
                                                                first.num_joints):
                raise ValueError("ensemble members must share classes, input channels and joints")
        self.members = nn.ModuleList(members)
        self.config = first
        self.mirror = mirror
        self._counts = [len(m.state_shapes()) for m in members] * self.views
        flip = torch.from_numpy(CANONICAL.flip_index.astype(np.int64))
        self.register_buffer("flip", flip, persistent=False)
        self.register_buffer("sign", torch.from_numpy(mirror_sign(first.in_channels)), persistent=False)

    @property
    def views(self) -> int:
        """How many inputs each member runs on: the input, and its mirror image with ``mirror``."""
        return 2 if self.mirror else 1

    def _inputs(self, x: Tensor) -> list[Tensor]:
        """The input, and with ``mirror`` also its mirror image (core's ``mirror_features``)."""
        return [x, x[:, :, self.flip] * self.sign] if self.mirror else [x]

    def _runs(self, x: Tensor) -> list[tuple[CausalSTGCN, Tensor]]:
        return [(m, v) for v in self._inputs(x) for m in self.members]

    def state_shapes(self) -> list[tuple[int, ...]]:
        return [s for _ in range(self.views) for m in self.members for s in m.state_shapes()]

    def initial_states(self, batch: int = 1, device: torch.device | str | None = None) -> list[Tensor]:
        return [s for _ in range(self.views) for m in self.members for s in m.initial_states(batch, device)]

    def _combine(self, logits: list[Tensor]) -> Tensor:
        probs = torch.stack([torch.softmax(lg, dim=-1) for lg in logits]).mean(0)
        return torch.log(probs.clamp_min(1e-12))

    def forward(self, x: Tensor, *states: Tensor) -> tuple[Tensor, ...]:
        if len(states) != sum(self._counts):
            raise ValueError(f"expected {sum(self._counts)} states, got {len(states)}")
        logits, new_states, k = [], [], 0
        for (m, v), n in zip(self._runs(x), self._counts, strict=True):
            out = m(v, *states[k : k + n])
            logits.append(out[0])
            new_states.extend(out[1:])
            k += n
        return (self._combine(logits), *new_states)

    def forward_offline(self, x: Tensor) -> tuple[Tensor, None]:
        return self._combine([m.forward_offline(v)[0] for m, v in self._runs(x)]), None


def stream_models(model: CausalSTGCN | EnsembleSTGCN) -> list[CausalSTGCN]:
    """The single-stream networks of *model*: its members, or the model itself."""
    return list(model.members) if isinstance(model, EnsembleSTGCN) else [model]


def receptive_field(model: CausalSTGCN | EnsembleSTGCN) -> int:
    """Frames the temporal convolutions see (the classifier window comes on top)."""
    return max(1 + sum(b.tcn.context for b in m.blocks) for m in stream_models(model))


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def streaming_macs(model: CausalSTGCN | EnsembleSTGCN) -> int:
    """Multiply-accumulates of one streaming step (T = 1), convolutions and graph products."""
    if isinstance(model, EnsembleSTGCN):
        return model.views * sum(streaming_macs(m) for m in model.members)
    cfg, v, macs = model.config, model.config.num_joints, 0
    for b in model.blocks:
        cin, cout = b.gcn.cin, b.gcn.cout
        macs += b.gcn.conv.in_channels * cout * v + b.gcn.k * cin * v * v  # 1x1 conv + fixed adjacency
        if b.gcn.heads:  # query, key, similarities, mixing by the per-frame adjacency
            e = b.gcn.heads * b.gcn.head_dim
            macs += 2 * cin * e * v + e * v * v + cin * v * v
        macs += b.tcn.macs_per_joint() * v  # temporal conv
        if not isinstance(b.res, nn.Identity):
            macs += cin * cout * v
    if model.part_means is not None:  # part means (and side differences); the plain joint mean is not counted
        macs += model.feature_dim * model.part_means.shape[1] * v
    if model.config.readout == "joints_meanmax":  # the maximum over joints (comparisons, as MACs)
        macs += model.feature_dim * v
    if model.pool.gate is not None:  # the gate reweights the whole window every step
        macs += cfg.window * model.readout_dim
    return macs + model.fc.in_features * cfg.num_classes
