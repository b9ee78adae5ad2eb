"""Training step of one stream with its 1x1 convolutions as batched matrix products (``PointwiseConv``
in training mode, as trained) or as oneDNN convolutions (``nn.Conv2d.forward``), per precision.

Both variants train the same model (the shipped recipe's stream: body-part readout, no dropout) on
the same random batch in this process, alternating, and the script prints the median milliseconds
of a step (forward, backward, AdamW) after warm-up, and the speed-up of the matrix products.
The end-to-end figure (real clips, co-training, two streams side by side) is
``benchmarks/train_speed.py``'s.

    python benchmarks/pointwise_conv.py [--threads 1] [--batch 16] [--frames 64] [--steps 20]
                                        [--rounds 2] [--precisions fp32 bf16] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
from torch import nn
from train_speed import SHIPPED_MODEL  # this folder's: the shipped recipe's stream

from skelapp.training import layers
from skelapp.training.model import CausalSTGCN, ModelConfig

VARIANTS = {"matmul": layers.PointwiseConv.forward, "conv": nn.Conv2d.forward}


def step_ms(variant: str, precision: str, x: torch.Tensor, y: torch.Tensor, steps: int,
            num_classes: int) -> float:
    """Median milliseconds of a training step of a fresh model (seed 0) after three warm-up steps."""
    layers.PointwiseConv.forward = VARIANTS[variant]
    try:
        torch.manual_seed(0)
        model = CausalSTGCN(ModelConfig(num_classes=num_classes, **SHIPPED_MODEL)).train()
        opt = torch.optim.AdamW(model.parameters(), 1e-3)
        times = []
        for _ in range(steps + 3):
            start = time.perf_counter()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
                logits, _ = model.forward_offline(x)
                loss = nn.functional.cross_entropy(logits.float().mean(1), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            times.append(time.perf_counter() - start)
        return 1000 * statistics.median(times[3:])
    finally:
        layers.PointwiseConv.forward = VARIANTS["matmul"]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--frames", type=int, default=64)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--rounds", type=int, default=2, help="alternations of the two variants")
    p.add_argument("--precisions", nargs="+", choices=("fp32", "bf16"), default=["fp32", "bf16"])
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    cfg = ModelConfig()
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(a.batch, a.frames, cfg.num_joints, cfg.in_channels, generator=gen)
    y = torch.randint(0, cfg.num_classes, (a.batch,), generator=gen)
    results = {}
    for precision in a.precisions:
        runs: dict[str, list[float]] = {"conv": [], "matmul": []}
        for _ in range(a.rounds):
            for variant in runs:
                runs[variant].append(step_ms(variant, precision, x, y, a.steps, cfg.num_classes))
        conv, matmul = (statistics.median(runs[v]) for v in ("conv", "matmul"))
        results[precision] = {"conv_ms": round(conv, 1), "matmul_ms": round(matmul, 1),
                              "speedup": round(conv / matmul, 3)}
    info = {"threads": a.threads, "batch": a.batch, "frames": a.frames, "torch": torch.__version__,
            "results": results}
    if a.json:
        print(json.dumps(info))
        return
    print(f"training step, batch {a.batch} x {a.frames} frames, {a.threads} thread(s), "
          f"torch {torch.__version__}")
    for precision, r in results.items():
        print(f"  {precision}: 1x1 as convolution {r['conv_ms']:.1f} ms, as matrix product "
              f"{r['matmul_ms']:.1f} ms ({r['speedup']:.2f}x)")


if __name__ == "__main__":
    main()
