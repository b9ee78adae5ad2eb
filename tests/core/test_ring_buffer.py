"""RingBuffer: wraparound, zero-copy views in time order, and a producer/consumer thread test."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from skelapp.core.ring_buffer import RingBuffer


def _filled(capacity: int, n: int) -> RingBuffer:
    rb = RingBuffer(capacity, (2, 3))
    for i in range(n):
        rb.push(np.full((2, 3), i, np.float32), timestamp=i / 10)
    return rb


@pytest.mark.parametrize("n", [0, 1, 3, 4, 5, 9, 12, 13])
def test_wraparound_keeps_newest_in_order(n):
    rb = _filled(4, n)
    data, times = rb.last()
    expect = np.arange(max(0, n - 4), n)
    assert len(rb) == len(expect) and rb.total == n
    np.testing.assert_array_equal(data[:, 0, 0], expect)
    np.testing.assert_allclose(times, expect / 10)


def test_last_n_is_a_view_in_time_order():
    rb = _filled(5, 13)
    for n in range(1, 6):
        data, times = rb.last(n)
        assert np.shares_memory(data, rb._data) and np.shares_memory(times, rb._times)
        np.testing.assert_array_equal(data[:, 1, 2], np.arange(13 - n, 13))
    copy, _ = rb.last(3, copy=True)
    assert not np.shares_memory(copy, rb._data)
    view, _ = rb.last(2)
    rb.push(np.full((2, 3), 99.0))  # a view survives capacity - n further pushes
    rb.push(np.full((2, 3), 100.0))
    np.testing.assert_array_equal(view[:, 0, 0], [11, 12])


def test_errors_and_clear():
    with pytest.raises(ValueError):
        RingBuffer(0, (3,))
    rb = _filled(3, 2)
    with pytest.raises(ValueError, match="holds 2"):
        rb.last(3)
    with pytest.raises(ValueError, match="shape"):
        rb.push(np.zeros(3))
    rb.clear()
    assert len(rb) == 0 and rb.total == 0


def test_since_reports_new_and_lost():
    rb = _filled(4, 3)
    data, _, total, lost = rb.since(1)
    np.testing.assert_array_equal(data[:, 0, 0], [1, 2])
    assert (total, lost) == (3, 0)
    for i in range(3, 10):
        rb.push(np.full((2, 3), i))
    data, _, total, lost = rb.since(total)
    np.testing.assert_array_equal(data[:, 0, 0], [6, 7, 8, 9])
    assert (total, lost) == (10, 3)
    with pytest.raises(ValueError):
        rb.since(11)


@pytest.mark.parametrize("capacity", [16, 4096])
def test_producer_consumer_threads(capacity):
    n_items = 4000
    rb = RingBuffer(capacity, (4,), dtype=np.int64)
    got: list[np.ndarray] = []
    lost_total = 0
    errors: list[str] = []

    def producer():
        for i in range(n_items):
            rb.push(np.full(4, i, np.int64), timestamp=float(i))

    def consumer():
        nonlocal lost_total
        seen = 0
        while seen < n_items:
            if not rb.wait_for(seen + 1, timeout=10):
                errors.append(f"timed out at {seen}")
                return
            data, times, total, lost = rb.since(seen)
            # the batch continues exactly after what was seen plus what was overwritten
            expect = np.arange(seen + lost, total)
            if not (np.array_equal(data[:, 0], expect) and np.array_equal(times, expect)):
                errors.append(f"batch {data[:, 0]} != {expect}")
                return
            if not (data == data[:, :1]).all():
                errors.append("torn item")
                return
            got.append(data[:, 0])
            lost_total += lost
            seen = total

    threads = [threading.Thread(target=consumer), threading.Thread(target=producer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors and not any(t.is_alive() for t in threads)
    received = np.concatenate(got)
    assert np.all(np.diff(received) > 0)  # strictly in order, no duplicates
    assert len(received) + lost_total == n_items == rb.total
    if capacity >= n_items:
        assert lost_total == 0 and np.array_equal(received, np.arange(n_items))
