"""Losses: early-prediction (every observed prefix), full-clip baseline, language supervision,
motion forecasting, masked reconstruction and nearest-neighbour contrast (self-supervised)."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from skelapp.core.layouts import CANONICAL

from .graph import BODY_PARTS, graph_partitions, part_joint_indices
from .layers import STBlock

TEXT_PARTS = ("action", *BODY_PARTS)  # order of the text embeddings per class


def early_prediction_loss(logits: Tensor, mask: Tensor, target: Tensor,
                          label_smoothing: float = 0.0, power: float = 1.0) -> Tensor:
    """Per-frame cross-entropy; frame t of a clip of length L weighs ``((t + 1) / L) ** power``,
    normalised to sum to one per clip (later, better-informed prefixes count more), then batch mean."""
    b, t, k = logits.shape
    ce = F.cross_entropy(logits.reshape(b * t, k), target.repeat_interleave(t), reduction="none",
                         label_smoothing=label_smoothing).view(b, t)
    return (ce * prefix_weights(mask, power)).sum(1).mean()


def prefix_weights(mask: Tensor, power: float = 1.0) -> Tensor:
    """``(B, T)`` frame weights of the early-prediction loss: ``((t + 1) / L) ** power`` on the
    valid frames, normalised to sum to one per clip (power 0: every prefix alike; larger powers
    favour the later prefixes)."""
    if power < 0:
        raise ValueError(f"prefix weight power must be >= 0, got {power!r}")
    lengths = mask.sum(1, keepdim=True).clamp(min=1)
    w = (torch.arange(1, mask.shape[1] + 1, device=mask.device)[None] / lengths) ** power * mask
    return w / w.sum(1, keepdim=True).clamp(min=1e-12)


def last_frame_weights(mask: Tensor) -> Tensor:
    """``(B, T)`` weights that pick each clip's last valid frame (the full-clip loss's frame)."""
    w = torch.zeros(mask.shape, device=mask.device)
    w[torch.arange(len(mask), device=mask.device), mask.sum(1).clamp(min=1) - 1] = 1.0
    return w


def distillation_loss(logits: Tensor, teacher_logits: Tensor, weights: Tensor,
                      temperature: float = 2.0) -> Tensor:
    """Knowledge distillation per frame: ``T² KL(softmax(teacher / T) || softmax(student / T))``,
    summed over frames with *weights* ``(B, T)`` (e.g. :func:`prefix_weights`), then batch mean.
    The teacher's per-frame probabilities say how sure it is after each prefix, which a one-hot
    label cannot."""
    if logits.shape != teacher_logits.shape:
        raise ValueError(f"student logits {tuple(logits.shape)} and teacher logits "
                         f"{tuple(teacher_logits.shape)} differ in shape")
    log_p = F.log_softmax(logits.float() / temperature, dim=-1)
    log_q = F.log_softmax(teacher_logits.float() / temperature, dim=-1)
    kl = (log_q.exp() * (log_q - log_p)).sum(-1)  # (B, T)
    return temperature**2 * (kl * weights).sum(1).mean()


def last_frame_logits(logits: Tensor, mask: Tensor) -> Tensor:
    """``(B, K)`` logits at each clip's last valid frame."""
    last = mask.sum(1).clamp(min=1) - 1
    return logits[torch.arange(len(logits), device=logits.device), last]


def full_clip_loss(logits: Tensor, mask: Tensor, target: Tensor, label_smoothing: float = 0.0) -> Tensor:
    """Baseline: cross-entropy on the last frame only (the whole clip observed)."""
    return F.cross_entropy(last_frame_logits(logits, mask), target, label_smoothing=label_smoothing)


class LanguageSupervision(nn.Module):
    """Contrastive alignment of pooled body-part features with per-class text embeddings.

    For each text part p (whole action + six body parts) the pooled feature map of the joints
    of p (all joints for "action"), averaged over the valid frames, is projected to the text
    dimension; its cosine similarities to the K class texts of p, over a temperature, are
    trained with cross-entropy on the true class. Training only: nothing here is exported.
    """

    def __init__(self, feature_dim: int, text: Tensor, temperature: float = 0.1) -> None:
        super().__init__()
        k, p, d = text.shape
        if p != len(TEXT_PARTS):
            raise ValueError(f"text embeddings must have {len(TEXT_PARTS)} parts, got {p}")
        self.register_buffer("text", F.normalize(text.float(), dim=-1))
        self.groups = [list(range(CANONICAL.num_joints))] + part_joint_indices()
        self.proj = nn.ModuleList(
            nn.Sequential(nn.Linear(feature_dim, feature_dim), nn.ReLU(), nn.Linear(feature_dim, d))
            for _ in range(p)
        )
        self.log_scale = nn.Parameter(torch.tensor(float(-torch.log(torch.tensor(temperature)))))

    def forward(self, fmap: Tensor, mask: Tensor, target: Tensor) -> Tensor:
        m = mask[:, None, :, None].float()  # (B, 1, T, 1)
        per_joint = (fmap * m).sum(2) / m.sum(2).clamp(min=1)  # (B, C, V): mean over valid frames
        loss = fmap.new_zeros(())
        for p, (joints, proj) in enumerate(zip(self.groups, self.proj, strict=True)):
            f = per_joint[..., joints].mean(-1)  # (B, C)
            z = F.normalize(proj(f), dim=-1)
            logits = self.log_scale.exp() * z @ self.text[:, p].T  # (B, K)
            loss = loss + F.cross_entropy(logits, target)
        return loss / len(self.proj)


class MotionForecast(nn.Module):
    """Auxiliary self-supervision (training only, nothing exported): from the last block's map at
    frame t (which has seen frames up to t only), predict each joint's displacement over the next
    h frames, for each of ``horizons``: the sum of the input's *velocity* channels (see
    ``FeatureConfig.velocity_channels``) over frames t+1..t+h, i.e. motion the network has not
    seen yet. Squared error over the frames whose t + h is still in the clip, divided by the
    batch's mean squared displacement (so 1.0 is what predicting no motion scores), averaged over
    the horizons."""

    def __init__(self, feature_dim: int, velocity: slice, horizons: tuple[int, ...] = (2, 4, 8)) -> None:
        super().__init__()
        if not horizons or min(horizons) < 1:
            raise ValueError(f"forecast horizons are frame counts >= 1, got {horizons!r}")
        self.velocity, self.horizons = velocity, tuple(horizons)
        self.head = nn.Conv2d(feature_dim, 3 * len(self.horizons), 1)
        nn.init.zeros_(self.head.weight)  # starts at "no motion" (loss 1.0), not at a random guess
        nn.init.zeros_(self.head.bias)

    def forward(self, fmap: Tensor, x: Tensor, mask: Tensor) -> Tensor:
        """*fmap* ``(B, C, T, V)``, *x* the input features ``(B, T, V, C_in)``, *mask* ``(B, T)``."""
        b, _, t, v = fmap.shape
        pred = self.head(fmap).float().view(b, len(self.horizons), 3, t, v).permute(0, 1, 3, 4, 2)
        vel = x[..., self.velocity].float() * mask[:, :, None, None]
        cum = F.pad(torch.cumsum(vel, 1), (0, 0, 0, 0, 1, 0))  # cum[:, s] = sum of vel[:, :s]
        loss = fmap.new_zeros((), dtype=torch.float32)
        for i, h in enumerate(self.horizons):
            if h >= t:
                continue
            target = cum[:, h + 1 :] - cum[:, 1 : t - h + 1]  # frame s: vel[s+1] + ... + vel[s+h]
            valid = mask[:, h:].float()[:, :, None]  # s + h inside the clip (masks are prefixes)
            err = ((pred[:, i, : t - h] - target) ** 2).sum(-1)  # (B, T-h, V)
            size = (target**2).sum(-1)
            n = (valid.sum() * v).clamp(min=1)
            loss = loss + ((err * valid).sum() / n) / ((size * valid).sum() / n).clamp(min=1e-8)
        return loss / len(self.horizons)


def hide_pieces(x: Tensor, mask: Tensor, ratio: float, span: int) -> tuple[Tensor, Tensor]:
    """*x* ``(B, T, V, C)``, *mask* ``(B, T)`` -> *x* with a random fraction *ratio* of its
    (joint, *span*-frame) pieces zeroed, and ``hidden`` ``(B, T, V)`` (real frames only)."""
    b, t, v, _ = x.shape
    pieces = torch.rand(b, -(-t // span), v, device=x.device) < ratio
    hidden = pieces.repeat_interleave(span, dim=1)[:, :t] & mask.bool()[:, :, None]
    return x.masked_fill(hidden[..., None], 0.0), hidden


class MaskedReconstruction(nn.Module):
    """Self-supervised pretraining (masked motion modelling, as STARS's first stage, adapted to a
    causal GCN; training only, nothing exported). :meth:`hide` zeroes random (joint, ``span``-frame)
    pieces of each clip's real frames, a fraction ``ratio`` of them; the network reads the rest, and
    from the last block's map at frame t (frames up to t only) a decoder rebuilds the *target*
    input channels (a slice; None = all of them) of the hidden joints at t. The decoder is
    ``decoder_blocks`` causal ST blocks of the map's width (0 = none), then a 1x1 head; with blocks,
    the encoder's last map need not carry every input detail itself (MAE's light decoder). Squared
    error per channel over the hidden entries, divided by that channel's mean square there (so 1.0
    is what predicting zeros scores, and positions and velocities weigh alike), averaged over the
    channels."""

    def __init__(self, feature_dim: int, in_channels: int, ratio: float = 0.5, span: int = 4,
                 target: slice | None = None, decoder_blocks: int = 0, kernel: int = 5) -> None:
        super().__init__()
        if not 0.0 < ratio < 1.0 or span < 1:
            raise ValueError(f"masking hides a fraction 0 < ratio < 1 of (joint, span >= 1 frames) "
                             f"pieces, got ratio {ratio!r}, span {span!r}")
        if decoder_blocks < 0:
            raise ValueError(f"the decoder has >= 0 blocks, got {decoder_blocks!r}")
        self.ratio, self.span = ratio, span
        self.target = target if target is not None else slice(0, in_channels)
        out = len(range(in_channels)[self.target])
        parts = graph_partitions(CANONICAL)
        self.decoder = nn.ModuleList(STBlock(feature_dim, feature_dim, kernel, 1, parts, dropout=0.0)
                                     for _ in range(decoder_blocks))
        self.head = nn.Conv2d(feature_dim, out, 1)
        nn.init.zeros_(self.head.weight)  # starts at zeros (loss 1.0)
        nn.init.zeros_(self.head.bias)

    def hide(self, x: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """:func:`hide_pieces` at this pretraining's ratio and span."""
        return hide_pieces(x, mask, self.ratio, self.span)

    def forward(self, fmap: Tensor, x: Tensor, hidden: Tensor) -> Tensor:
        """*fmap* ``(B, C, T, V)`` from the hidden input, *x* the original ``(B, T, V, C_in)``."""
        for block in self.decoder:  # each from a fresh stream, like the encoder's offline pass
            fmap, _ = block(fmap, fmap.new_zeros((fmap.shape[0], *block.state_shape(fmap.shape[3]))))
        pred = self.head(fmap).float().permute(0, 2, 3, 1)  # (B, T, V, C_target)
        target = x[..., self.target].float()
        w = hidden.float()[..., None]
        err = (((pred - target) ** 2) * w).sum((0, 1, 2))
        size = ((target ** 2) * w).sum((0, 1, 2))
        return (err / size.clamp(min=1e-8)).mean()


class NeighbourContrast(nn.Module):
    """Self-supervised tuning after the masked pretraining (STARS's second stage: nearest-neighbour
    contrastive learning, NNCLR; training only, nothing exported). :meth:`views` gives each clip
    twice, with two independent random sets of hidden (joint, ``span``-frame) pieces, as the
    pretraining hides them (the only difference between the views: no further augmentation). Each
    view's last map, averaged over its real frames and joints, is projected (MLP) to a unit vector.
    The loss is InfoNCE over the batch in both directions: view 1's nearest neighbour among the
    ``queue`` most recent view-1 vectors of earlier batches (the support set; the vector itself
    until the first batch is stored) should pick its own clip's view 2 out of the batch's, at
    ``temperature``. The neighbour, another clip that looks alike, pulls same-action clips
    together: semantic clusters that masked rebuilding alone does not form."""

    def __init__(self, feature_dim: int, ratio: float = 0.5, span: int = 4, queue: int = 512,
                 dim: int = 128, temperature: float = 0.1) -> None:
        super().__init__()
        if not 0.0 < ratio < 1.0 or span < 1 or queue < 1 or temperature <= 0:
            raise ValueError(f"the views hide a fraction 0 < ratio < 1 of (joint, span >= 1 frames) pieces, "
                             f"the support set holds queue >= 1 vectors and temperature > 0, got ratio "
                             f"{ratio!r}, span {span!r}, queue {queue!r}, temperature {temperature!r}")
        self.ratio, self.span, self.temperature = ratio, span, temperature
        self.projector = nn.Sequential(nn.Linear(feature_dim, 2 * dim), nn.BatchNorm1d(2 * dim), nn.ReLU(),
                                       nn.Linear(2 * dim, dim))
        # buffers, so that a resumed run continues with the support set it had
        self.register_buffer("support", torch.zeros(queue, dim))
        self.register_buffer("stored", torch.zeros((), dtype=torch.long))  # vectors ever stored

    def views(self, x: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """``(B, T, V, C)`` clips -> ``(2B, ...)``: the first B view 1, the last B view 2; and their mask."""
        seen = torch.cat([hide_pieces(x, mask, self.ratio, self.span)[0] for _ in range(2)])
        return seen, torch.cat([mask, mask])

    def embed(self, fmap: Tensor, mask: Tensor) -> Tensor:
        """Unit vectors ``(B, dim)`` of maps ``(B, C, T, V)``, averaged over the real frames (*mask*)."""
        m = mask.to(fmap.dtype)[:, None, :, None]
        pooled = (fmap * m).sum((2, 3)).float() / (m.sum((2, 3)).float() * fmap.shape[3]).clamp(min=1.0)
        return F.normalize(self.projector(pooled).float(), dim=1)

    def neighbours(self, z: Tensor) -> Tensor:
        """Each row's nearest (cosine) stored support vector; *z* itself while none is stored."""
        n = min(int(self.stored), len(self.support))
        if n == 0:
            return z.detach()
        bank = self.support[:n]
        return bank[(z.detach() @ bank.T).argmax(1)]

    def forward(self, fmap: Tensor, mask: Tensor) -> Tensor:
        """*fmap* ``(2B, C, T, V)`` of :meth:`views`' output, *mask* its ``(2B, T)`` mask."""
        z1, z2 = self.embed(fmap, mask).chunk(2)
        target = torch.arange(len(z1), device=z1.device)
        loss = 0.5 * (F.cross_entropy(self.neighbours(z1) @ z2.T / self.temperature, target)
                      + F.cross_entropy(self.neighbours(z2) @ z1.T / self.temperature, target))
        if self.training:
            self._store(z1.detach())
        return loss

    @torch.no_grad()
    def _store(self, z: Tensor) -> None:
        q = len(self.support)
        z = z[-q:]
        at = (int(self.stored) + torch.arange(len(z), device=z.device)) % q
        self.support[at] = z
        self.stored += len(z)
