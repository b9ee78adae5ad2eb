"""Choosing the training arithmetic."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from skelapp.training import precision
from skelapp.training.precision import resolve_precision

CPU = torch.device("cpu")


def test_explicit_choices_are_kept() -> None:
    assert resolve_precision("fp32", CPU) == "fp32"
    assert resolve_precision("bf16", CPU) == "bf16"
    with pytest.raises(ValueError, match="unknown precision 'fp16'; use one of auto, bf16, fp32"):
        resolve_precision("fp16", CPU)


@pytest.mark.parametrize(("vendor", "avx512_bf16", "amx", "expected"),
                         [("AuthenticAMD", True, False, "bf16"), ("GenuineIntel", True, False, "fp32"),
                          ("GenuineIntel", True, True, "bf16"), ("AuthenticAMD", False, False, "fp32"),
                          ("GenuineIntel", False, False, "fp32")])
def test_auto_uses_bf16_only_where_the_cpu_computes_it_faster(monkeypatch, vendor, avx512_bf16, amx,
                                                               expected) -> None:
    monkeypatch.setattr(precision, "cpu_vendor", lambda: vendor)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: avx512_bf16, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx, raising=False)
    assert resolve_precision("auto", CPU) == expected


def test_cpu_vendor_reads_this_machine() -> None:
    vendor = precision.cpu_vendor()
    if Path("/proc/cpuinfo").exists():
        assert vendor in Path("/proc/cpuinfo").read_text(), vendor
        assert vendor and " " not in vendor


def test_auto_on_a_gpu_asks_the_gpu(monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    assert resolve_precision("auto", torch.device("cuda")) == "fp32"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    assert resolve_precision("auto", torch.device("cuda")) == "bf16"
