"""Training arithmetic: bf16 mixed precision where the hardware computes it faster, else float32."""

from __future__ import annotations

import platform
from pathlib import Path

PRECISIONS = ("auto", "bf16", "fp32")


def cpu_vendor() -> str:
    """The CPU's vendor string (``AuthenticAMD``, ``GenuineIntel``, ...), or ``""`` if unknown."""
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.startswith("vendor_id"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    proc = platform.processor()  # Windows: "AMD64 Family 25 Model 97 Stepping 2, AuthenticAMD"
    return proc.rsplit(",", 1)[1].strip() if "," in proc else ""


def resolve_precision(name: str, device) -> str:
    """``bf16`` (autocast mixed precision; weights, optimizer and BatchNorm stay float32) or
    ``fp32`` for training on *device* (a ``torch.device``). ``auto`` picks bf16 on bf16-capable
    GPUs, on CPUs with AMX, and on AMD CPUs with AVX-512 BF16: on a 2-core AMD EPYC the NW-UCLA
    streams trained about 1.6x faster in bf16, but on an Intel Xeon with AVX-512 BF16 whose VM
    hides AMX bf16 ran 8 % slower than fp32 (model card), so Intel CPUs without AMX train in fp32.
    Evaluation and export always run in float32."""
    if name not in PRECISIONS:
        raise ValueError(f"unknown precision {name!r}; use one of {', '.join(PRECISIONS)}")
    if name != "auto":
        return name
    import torch

    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    if device.type != "cpu":
        return "fp32"
    if getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)():
        return "bf16"
    avx512_bf16 = getattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)()
    return "bf16" if avx512_bf16 and cpu_vendor() == "AuthenticAMD" else "fp32"
