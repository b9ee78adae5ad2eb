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
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from skelapp.core.layouts import CANONICAL, JointLayout
from skelapp.core.normalize import mirror_sign

from .choices import STREAMS

# Joint groups of the canonical body used for part-level language supervision.
BODY_PARTS: dict[str, tuple[str, ...]] = {
    "head": ("head", "shoulder_center"),
    "hands": ("wrist_left", "hand_left", "wrist_right", "hand_right"),
    "arms": ("shoulder_left", "elbow_left", "shoulder_right", "elbow_right"),
    "hips": ("hip_center", "spine", "hip_left", "hip_right"),
    "legs": ("hip_left", "knee_left", "hip_right", "knee_right"),
    "feet": ("ankle_left", "foot_left", "ankle_right", "foot_right"),
}


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
    # over the window: "mean", "meanmax" (mean and max side by side) or "gated" (a learned per-frame
    # weight, so the classifier can discount frames such as the return to rest; see CausalWindowPool)
    window_pool: str = "mean"
    # what the window pool reads per frame: "joints" (the last block's map averaged over all joints)
    # or "parts" (averaged over each of BODY_PARTS, side by side: len(BODY_PARTS) times the channels)
    # or "joints_meanmax" (the mean and the maximum over all joints, side by side: twice the channels;
    # a hand-only activation is not diluted by the other 19 joints)
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


def part_joint_indices(layout: JointLayout = CANONICAL) -> list[list[int]]:
    """Joint indices of each of :data:`BODY_PARTS`, in its order."""
    return [[layout.index(j) for j in joints] for joints in BODY_PARTS.values()]


def hop_distances(layout: JointLayout = CANONICAL) -> np.ndarray:
    """``(V, V)`` number of bones on the shortest path between two joints (-1 if unconnected)."""
    adj = layout.adjacency()  # 0/1
    v = layout.num_joints
    dist = np.full((v, v), -1, np.int64)
    np.fill_diagonal(dist, 0)
    reach = np.eye(v, dtype=bool)  # joints within d - 1 bones of each joint
    for d in range(1, v):
        new = ((reach @ adj) > 0) & ~reach
        if not new.any():
            break
        dist[new] = d
        reach |= new
    return dist


def graph_partitions(layout: JointLayout = CANONICAL, hops: int = 1) -> np.ndarray:
    """``(2 + hops, V, V)`` partitions: ST-GCN's self, normalised inward and outward neighbours,
    then for each distance 2..*hops* the joints exactly that many bones apart (normalised)."""
    if hops < 1:
        raise ValueError(f"graph_hops is a graph distance >= 1, got {hops!r}")
    v = layout.num_joints
    inward = np.zeros((v, v), np.float32)
    for c, p in layout.bones:
        if c != p:
            inward[c, p] = 1.0  # child gathers from parent... and the transpose the reverse

    def norm(a: np.ndarray) -> np.ndarray:
        deg = a.sum(0)
        return a / np.where(deg > 0, deg, 1.0)[None, :]

    far = []
    if hops > 1:
        dist = hop_distances(layout)
        far = [norm((dist == k).astype(np.float32)) for k in range(2, hops + 1)]
    return np.stack([np.eye(v, dtype=np.float32), norm(inward), norm(inward.T), *far])


def batch_norm(bn: nn.modules.batchnorm._BatchNorm, x: Tensor, mask: Tensor | None) -> Tensor:
    """``bn(x)``; in training with a frame *mask* ``(B, T)`` (x: ``(B, C, T, ...)``), the batch
    statistics (and the running ones they update) come from the masked-in frames only. They are
    computed in float32, as autocast computes BatchNorm."""
    if mask is None or not bn.training:
        return bn(x)
    x = x.float()
    m = mask.to(x.dtype).view(mask.shape[0], 1, mask.shape[1], *([1] * (x.dim() - 3)))
    dims = [d for d in range(x.dim()) if d != 1]
    n = m.sum() * math.prod(x.shape[3:])
    mean = (x * m).sum(dims) / n
    shape = (1, -1, *([1] * (x.dim() - 2)))
    centred = x - mean.view(shape)
    var = (centred.square() * m).sum(dims) / n
    if bn.track_running_stats:
        with torch.no_grad():
            bn.num_batches_tracked += 1
            momentum = bn.momentum if bn.momentum is not None else 1.0 / float(bn.num_batches_tracked)
            bn.running_mean.lerp_(mean.detach(), momentum)
            bn.running_var.lerp_(var.detach() * n / (n - 1).clamp(min=1), momentum)
    y = centred * torch.rsqrt(var + bn.eps).view(shape)
    return y * bn.weight.view(shape) + bn.bias.view(shape) if bn.affine else y


class PointwiseConv(nn.Conv2d):
    """A 1x1 ``nn.Conv2d`` over ``(B, C, T, V)`` (same parameters and state-dict keys) that in
    training mode runs as one batched matrix product per clip: the same values up to float
    rounding, but faster on a CPU in fp32 (a 2-core Intel Xeon: a step 5-8 % faster in
    ``benchmarks/pointwise_conv.py``, a co-trained epoch 46.0 s against 50.1 s in
    ``benchmarks/train_speed.py``; bf16 about the same). In eval mode (evaluation, export) it stays a
    convolution, which ONNX Runtime streams faster (0.68 against 0.80 ms per frame, one stream)."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__(cin, cout, 1)

    def forward(self, x: Tensor) -> Tensor:
        if not self.training:
            return super().forward(x)
        b, c, t, v = x.shape
        # bmm with the weight expanded over the batch: torch.matmul of a matrix and a batch copies
        # both operands into (B*T*V, C) rows and back, which cost more than the convolution
        w = self.weight.view(1, self.out_channels, c)
        if torch.is_autocast_enabled(x.device.type):  # cast once, before the expansion
            w = w.to(torch.get_autocast_dtype(x.device.type))
        y = torch.bmm(w.expand(b, -1, -1), x.reshape(b, c, t * v))
        if self.bias is not None:  # in y's dtype: under bf16 autocast a float32 bias would promote y
            y = y + self.bias.to(y.dtype).view(1, -1, 1)
        return y.view(b, self.out_channels, t, v)


class CausalTemporalConv(nn.Module):
    """Temporal convolution over ``(B, C, T, V)`` with left context carried as state."""

    def __init__(self, cin: int, cout: int, kernel: int, dilation: int, causal: bool = True) -> None:
        super().__init__()
        self.context = (kernel - 1) * dilation
        self.state_channels = cin
        self.causal = causal
        self.conv = nn.Conv2d(cin, cout, (kernel, 1), dilation=(dilation, 1))

    def forward(self, x: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        if not self.causal:  # offline only (ModelConfig.causal): half the context from later frames
            left = self.context // 2
            return self.conv(F.pad(x, (0, 0, left, self.context - left))), state
        # the state in x's dtype: under bf16 autocast a float32 state would promote the whole
        # concatenation to float32, which the conv then casts back (two copies of every activation)
        full = torch.cat([state.to(x.dtype), x], dim=2)
        return self.conv(full), full[:, :, full.shape[2] - self.context :]

    def macs_per_joint(self) -> int:
        """Multiply-accumulates per joint and streamed frame."""
        return self.conv.in_channels * self.conv.out_channels * self.conv.kernel_size[0]


class MultiScaleTemporalConv(nn.Module):
    """Causal multi-scale temporal convolution (the CTR-GCN / MS-G3D design, made causal).

    Four branches, concatenated to ``cout`` channels: 1x1 conv -> BN -> ReLU -> causal conv with
    dilation ``d``; the same with dilation ``2d``; 1x1 conv -> BN -> ReLU -> causal max over the
    last 3 frames; a plain 1x1 conv. The three temporal branches keep their 1x1 outputs of the
    last ``(kernel - 1) * 2d`` frames as one state tensor (each branch reads its own channels and
    as many frames as it needs), so a streamed frame costs the 1x1 convs of that frame only."""

    POOL = 3  # frames of the causal max

    def __init__(self, cin: int, cout: int, kernel: int, dilation: int) -> None:
        super().__init__()
        if cout < 4:
            raise ValueError(f"a multi-scale temporal conv needs at least 4 channels, got {cout}")
        self.branch = bc = cout // 4
        dilations = (dilation, 2 * dilation)
        # frames of history each temporal branch reads: the two convs', then the max's (3 frames)
        self.contexts = (*((kernel - 1) * d for d in dilations), self.POOL - 1)
        self.context = max(self.contexts)
        self.state_channels = 3 * bc
        self.reduce = nn.Sequential(PointwiseConv(cin, 3 * bc), nn.BatchNorm2d(3 * bc), nn.ReLU())
        self.convs = nn.ModuleList(nn.Conv2d(bc, bc, (kernel, 1), dilation=(d, 1)) for d in dilations)
        self.pointwise = PointwiseConv(cin, cout - 3 * bc)

    def forward(self, x: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        reduced = self.reduce(x)
        full = torch.cat([state.to(reduced.dtype), reduced], dim=2)  # see CausalTemporalConv
        t, bc = x.shape[2], self.branch
        # branch i: its channels of the carried 1x1 outputs, from as far back as it reads
        ins = [full[:, i * bc : (i + 1) * bc, full.shape[2] - t - c :] for i, c in enumerate(self.contexts)]
        outs = [conv(z) for conv, z in zip(self.convs, ins, strict=False)]
        outs.append(F.max_pool2d(ins[-1], (self.POOL, 1), stride=1))
        outs.append(self.pointwise(x))
        return torch.cat(outs, dim=1), full[:, :, full.shape[2] - self.context :]

    def macs_per_joint(self) -> int:
        bc, cin, kernel = self.branch, self.pointwise.in_channels, self.convs[0].kernel_size[0]
        return cin * 3 * bc + 2 * bc * bc * kernel + cin * self.pointwise.out_channels


TEMPORAL_CONVS = {"single": CausalTemporalConv, "multiscale": MultiScaleTemporalConv}


class GraphConv(nn.Module):
    """Spatial graph convolution with fixed partitions plus a learned adjacency offset.

    ``sum_k W_k (x A_k)``: the joint mixing runs on the (fewer) input channels first. With
    ``groups`` > 1 the input channels fall into that many groups (``gcd(cin, groups)`` of them),
    each with its own learned offset (decoupled GCN: more spatial patterns at no extra cost).

    With ``dynamic`` > 0 one more partition is computed from the data (as 2s-AGCN's and CTR-GCN's
    sample-dependent topologies), but from each frame alone, so it needs no temporal state and
    streaming stays exact: ``gcd(cin, dynamic)`` heads, each a softmax over joints of query-key
    similarities within the frame, mixing its own slice of the input channels."""

    def __init__(self, cin: int, cout: int, partitions: np.ndarray, groups: int = 1,
                 dynamic: int = 0) -> None:
        super().__init__()
        self.register_buffer("A", torch.from_numpy(partitions))
        self.groups = math.gcd(cin, groups)
        k, v = partitions.shape[0], partitions.shape[1]
        shape = (k, v, v) if self.groups == 1 else (k, self.groups, v, v)
        self.offset = nn.Parameter(torch.zeros(shape))
        self.k = k
        self.heads = math.gcd(cin, dynamic) if dynamic > 0 else 0
        if self.heads:
            self.head_dim = max(4, cin // 4 // self.heads)
            self.query = PointwiseConv(cin, self.heads * self.head_dim)
            self.key = PointwiseConv(cin, self.heads * self.head_dim)
        self.conv = PointwiseConv(cin * (self.k + (1 if self.heads else 0)), cout)
        self.cin, self.cout = cin, cout

    def forward(self, x: Tensor) -> Tensor:
        b, c, t, v = x.shape
        if self.groups == 1:
            z = torch.einsum("bctv,kvw->bkctw", x, self.A + self.offset)
        else:
            xg = x.reshape(b, self.groups, c // self.groups, t, v)
            z = torch.einsum("bgctv,kgvw->bkgctw", xg, self.A[:, None] + self.offset)
        z = z.reshape(b, self.k * c, t, v)
        if self.heads:
            h, e = self.heads, self.head_dim
            q = self.query(x).view(b, h, e, t, v)
            key = self.key(x).view(b, h, e, t, v)
            att = torch.softmax(torch.einsum("bhetv,bhetw->bhtvw", q, key) / math.sqrt(e), dim=-1)
            zd = torch.einsum("bhctw,bhtvw->bhctv", x.reshape(b, h, c // h, t, v), att)
            z = torch.cat([z, zd.reshape(b, c, t, v)], dim=1)
        return self.conv(z)


class JointDrop(nn.Module):
    """Zero the features of random joints and their graph neighbours, per sample, over all channels
    and frames (the spatial DropGraph of DC-GCN), rescaling the kept joints so the expected value
    is unchanged. Seeds are drawn with probability ``p / (mean neighbourhood size)``, so about a
    fraction ``p`` of the joints is dropped. Identity in eval mode, so streaming is unaffected."""

    def __init__(self, p: float, layout: JointLayout = CANONICAL) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"drop_joints is a fraction in [0, 1), got {p!r}")
        neighbours = torch.from_numpy(layout.adjacency() + np.eye(layout.num_joints, dtype=np.float32))
        self.register_buffer("neighbours", neighbours, persistent=False)
        self.p = p
        self.seed_prob = p / float(neighbours.sum(1).mean())

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        b, v = x.shape[0], x.shape[3]
        seeds = torch.bernoulli(torch.full((b, v), self.seed_prob, device=x.device))
        keep = (seeds @ self.neighbours == 0).to(x.dtype)  # (B, V)
        scale = v / keep.sum(1, keepdim=True).clamp(min=1.0)
        return x * (keep * scale).view(b, 1, 1, v)


class STBlock(nn.Module):
    """GCN -> BN -> ReLU -> causal TCN -> BN, plus residual, then ReLU."""

    def __init__(self, cin: int, cout: int, kernel: int, dilation: int, partitions: np.ndarray,
                 dropout: float, graph_groups: int = 1, tcn: str = "single", dynamic_graph: int = 0,
                 drop_joints: float = 0.0, causal: bool = True, drop_path: float = 0.0) -> None:
        super().__init__()
        self.drop_path = drop_path
        self.gcn = GraphConv(cin, cout, partitions, graph_groups, dynamic_graph)
        self.bn1 = nn.BatchNorm2d(cout)
        self.tcn = (TEMPORAL_CONVS[tcn](cout, cout, kernel, dilation) if causal
                    else CausalTemporalConv(cout, cout, kernel, dilation, causal=False))
        self.bn2 = nn.BatchNorm2d(cout)
        self.drop = nn.Dropout(dropout)
        self.drop_joints = JointDrop(drop_joints)
        self.res: nn.Module = nn.Identity()
        if cin != cout:
            self.res = nn.Sequential(PointwiseConv(cin, cout), nn.BatchNorm2d(cout))

    def state_shape(self, joints: int) -> tuple[int, int, int]:
        """Its temporal conv's state without the batch dimension: (channels, frames, joints)."""
        return (self.tcn.state_channels, self.tcn.context, joints)

    def forward(self, x: Tensor, state: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """*mask* ``(B, T)``: the real frames, for :func:`batch_norm` (training only)."""
        y = F.relu(batch_norm(self.bn1, self.gcn(x), mask))
        y, new_state = self.tcn(y, state)
        y = self.drop_joints(self.drop(batch_norm(self.bn2, y, mask)))
        if self.training and self.drop_path > 0.0:  # stochastic depth: per sample, branch or none
            keep = torch.rand(y.shape[0], 1, 1, 1, device=y.device) >= self.drop_path
            y = y * (keep.to(y.dtype) / (1.0 - self.drop_path))
        if mask is None or isinstance(self.res, nn.Identity):
            res = self.res(x)
        else:
            res = batch_norm(self.res[1], self.res[0](x), mask)
        return F.relu(y + res), new_state


def window_sums(z: Tensor, window: int) -> Tensor:
    """Sums of *window* consecutive frames of ``(B, C, L)``: ``(B, C, L - window + 1)``, the value
    at ``t`` summing frames ``t .. t + window - 1``. The same as ``window * avg_pool1d(z, window,
    stride=1)`` up to float rounding, from a cumulative sum: O(L) instead of O(L * window) (the
    pool was 6 % of a training step with a 64-frame window)."""
    cum = F.pad(torch.cumsum(z, dim=2), (1, 0))
    return cum[:, :, window:] - cum[:, :, : cum.shape[2] - window]


WINDOW_POOLS = ("mean", "meanmax", "gated")
READOUTS = ("joints", "parts", "joints_meanmax")


class CausalWindowPool(nn.Module):
    """Mean of the last ``window`` frames of ``(B, C, T)``, dividing by the valid frame count;
    with ``with_max`` also their max, concatenated: ``(B, 2C, T)``; with ``gated`` a weighted mean
    instead, each frame weighted by ``sigmoid(g . x_t + b)`` (learned; ``g = 0, b = 0`` at
    initialisation, which is the plain mean).

    State ``(B, C + 1, window - 1)``: the previous frames plus a validity channel (0 = before
    the stream started; such frames count in neither the mean nor the max)."""

    def __init__(self, window: int, with_max: bool = False, channels: int = 0, gated: bool = False) -> None:
        super().__init__()
        if with_max and gated:
            raise ValueError("a window pool is either with_max or gated, not both")
        self.window, self.with_max = window, with_max
        self.gate = nn.Conv1d(channels, 1, 1) if gated else None
        if self.gate is not None:
            nn.init.zeros_(self.gate.weight)
            nn.init.zeros_(self.gate.bias)

    def forward(self, x: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        ones = torch.ones_like(x[:, :1])
        full = torch.cat([state, torch.cat([x, ones], dim=1)], dim=2)
        new_state = full[:, :, full.shape[2] - (self.window - 1) :]
        if self.gate is not None:
            # weights recomputed from the stored frames, so streaming equals offline; the clamp
            # keeps the smallest weight far from underflow
            weight = torch.sigmoid(self.gate(full[:, :-1]).clamp(-15.0, 15.0)) * full[:, -1:]
            sums = window_sums(torch.cat([full[:, :-1] * weight, weight], dim=1), self.window)
            return sums[:, :-1] / sums[:, -1:], new_state
        sums = window_sums(full, self.window)
        out = sums[:, :-1] / sums[:, -1:]
        if self.with_max:
            values = torch.where(full[:, -1:] > 0, full[:, :-1], torch.full_like(full[:, :-1], -1e4))
            out = torch.cat([out, F.max_pool1d(values, self.window, stride=1)], dim=1)
        return out, new_state


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
        # readout "parts": a (V, P) matrix averaging each body part's joints; "joints": none (the mean)
        part_means = None
        if cfg.readout == "parts":
            part_means = torch.zeros(cfg.num_joints, len(BODY_PARTS))
            for k, joints in enumerate(part_joint_indices()):
                part_means[joints, k] = 1.0 / len(joints)
        self.register_buffer("part_means", part_means, persistent=False)
        self.feature_dim = cin  # channels per joint (what language supervision pools)
        # channels per frame that the window pool reads: C per joint mean, part mean or joint maximum
        self.readout_dim = cin * {"joints": 1, "joints_meanmax": 2, "parts": len(BODY_PARTS)}[cfg.readout]
        self.pool = CausalWindowPool(cfg.window, with_max=cfg.window_pool == "meanmax",
                                     channels=self.readout_dim, gated=cfg.window_pool == "gated")
        self.fc = nn.Linear(self.readout_dim * (2 if self.pool.with_max else 1), cfg.num_classes)
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
        if self.config.readout == "parts":
            b, _, t, _ = fmap.shape
            per_frame = torch.matmul(fmap, self.part_means)  # (B, C, T, P)
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
    if model.part_means is not None:  # the per-part means (the plain joint mean is not counted)
        macs += model.readout_dim * v
    if model.config.readout == "joints_meanmax":  # the maximum over joints (comparisons, as MACs)
        macs += model.feature_dim * v
    if model.pool.gate is not None:  # the gate reweights the whole window every step
        macs += cfg.window * model.readout_dim
    return macs + model.fc.in_features * cfg.num_classes
