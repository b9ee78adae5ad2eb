"""The network's building blocks, over ``(B, C, T, V)`` maps: BatchNorm over a frame mask, 1x1
convolutions, causal temporal convolutions that carry their left context as state, the graph
convolution, joint dropping and the spatio-temporal block that combines them."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from skelapp.core.layouts import CANONICAL, JointLayout


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
