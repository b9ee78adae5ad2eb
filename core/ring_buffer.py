"""Fixed-capacity ring buffer of equally shaped frames with zero-copy views.

Every item is written twice (slot ``i`` and ``i + capacity`` of a ``2 * capacity`` array), so
the last ``n`` items are always one contiguous slice in time order: :meth:`RingBuffer.last`
returns a view, never a copy. Push is O(1). One producer and one consumer may use it from two
threads: a lock orders the writes, and :attr:`RingBuffer.total` (items ever pushed) lets the
consumer tell what is new; :meth:`since` returns exactly the items after a given total (and
how many were lost to overwriting) in one atomic step. A view stays valid until
``capacity - n`` further pushes; use ``last(n, copy=True)`` to keep data longer.
"""

from __future__ import annotations

import threading

import numpy as np


class RingBuffer:
    def __init__(self, capacity: int, item_shape: tuple[int, ...], dtype=np.float32) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self.item_shape = tuple(item_shape)
        self._data = np.zeros((2 * capacity, *self.item_shape), dtype=dtype)
        self._times = np.zeros(2 * capacity, dtype=np.float64)
        self._total = 0
        self._lock = threading.Lock()
        self._new_item = threading.Condition(self._lock)

    def __len__(self) -> int:
        return min(self._total, self.capacity)

    @property
    def total(self) -> int:
        """Number of items ever pushed."""
        return self._total

    def push(self, item: np.ndarray, timestamp: float = 0.0) -> None:
        item = np.asarray(item)
        if item.shape != self.item_shape:
            raise ValueError(f"item shape {item.shape} != buffer item shape {self.item_shape}")
        with self._lock:
            i = self._total % self.capacity
            self._data[i] = item
            self._data[i + self.capacity] = item
            self._times[i] = self._times[i + self.capacity] = timestamp
            self._total += 1
            self._new_item.notify_all()

    def last(self, n: int | None = None, copy: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The newest ``n`` items (all held if None), oldest first, and their timestamps."""
        with self._lock:
            held = min(self._total, self.capacity)
            n = held if n is None else n
            if not 0 <= n <= held:
                raise ValueError(f"asked for {n} items, buffer holds {held}")
            end = self._total % self.capacity + self.capacity
            data, times = self._data[end - n : end], self._times[end - n : end]
            return (data.copy(), times.copy()) if copy else (data, times)

    def since(self, total: int) -> tuple[np.ndarray, np.ndarray, int, int]:
        """Items pushed after the buffer's :attr:`total` was *total*, atomically (copies).

        Returns ``(data, times, new_total, lost)``: the still-held new items oldest first, the
        current total (pass it to the next call) and how many new items were already overwritten.
        """
        with self._lock:
            new = self._total - total
            if new < 0:
                raise ValueError(f"total {total} is ahead of the buffer's {self._total}")
            n = min(new, self.capacity)
            end = self._total % self.capacity + self.capacity
            return self._data[end - n : end].copy(), self._times[end - n : end].copy(), self._total, new - n

    def wait_for(self, total: int, timeout: float | None = None) -> bool:
        """Block until at least *total* items were ever pushed; False on timeout."""
        with self._new_item:
            return self._new_item.wait_for(lambda: self._total >= total, timeout)

    def clear(self) -> None:
        with self._lock:
            self._total = 0
