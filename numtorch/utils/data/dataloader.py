"""DataLoader: batches from a dataset, in sampler order, optionally prefetched in a background thread.

``len(loader)``, argument checks and iteration order follow ``torch.utils.data.DataLoader``. Differences:
``num_workers > 0`` runs one background thread that prefetches ``num_workers * prefetch_factor`` batches
(not worker processes; ``get_worker_info()`` there reports one worker); ``pin_memory`` is accepted and has
no effect (CPU only). With the default collate function, datasets that can build a whole batch at once
(``_fetch_collated``: TensorDataset, the in-memory vision datasets, Subsets of them) are asked for the
batch directly, which gives the same tensors as collating the items one by one.
"""
from __future__ import annotations

import queue
import threading
from typing import Any, Callable, Iterable

from ...random import Generator, default_generator
from ._collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info", "WorkerInfo"]

_worker_info = threading.local()


class WorkerInfo:
    """What ``get_worker_info()`` returns inside the loading thread: id, num_workers, seed, dataset."""

    def __init__(self, **kwargs) -> None:
        self.__dict__.update(kwargs)

    def __repr__(self) -> str:
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers})"


def get_worker_info() -> WorkerInfo | None:
    """None in the main thread; a WorkerInfo inside a DataLoader's background loading thread."""
    return getattr(_worker_info, "info", None)


class _InfiniteConstantSampler(Sampler):
    def __iter__(self):
        while True:
            yield None


class DataLoader:
    """Iterate over ``dataset`` in batches.

    With ``batch_size=B`` each step yields ``collate_fn([dataset[i] for i in batch_indices])``; an MNIST-style
    dataset of (C, H, W) images gives (B, C, H, W) and (B,) tensors. ``shuffle=True`` draws a new
    permutation every epoch from ``generator`` (or from the default generator, so ``manual_seed`` fixes it).
    """

    _initialized = False

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Iterable | None = None, batch_sampler: Sampler | Iterable | None = None,
                 num_workers: int = 0, collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Callable | None = None,
                 multiprocessing_context=None, generator: Generator | None = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers "
                             "> 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
        elif num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if multiprocessing_context is not None and num_workers == 0:
            raise ValueError(f"multiprocessing_context can only be used with multi-process loading "
                             f"(num_workers > 0), but got num_workers={num_workers}")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.persistent_workers = persistent_workers
        self.in_order = in_order

        if isinstance(dataset, IterableDataset):
            self._dataset_kind = "iterable"
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                                 f"shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, but got "
                                 f"sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                                 f"but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
            self._dataset_kind = "map"

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                             "drop_last")

        if sampler is None:
            if self._dataset_kind == "iterable":
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self._iterator = None
        self._initialized = True

    def __setattr__(self, attr: str, val: Any) -> None:
        if self._initialized and attr in ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                                          "persistent_workers"):
            raise ValueError(f"{attr} attribute should not be set after {self.__class__.__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self) -> int:
        if self._dataset_kind == "iterable":
            length = len(self.dataset)
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last else -(-length // self.batch_size)
            return length
        return len(self._index_sampler)

    def __iter__(self):
        batches = self._batches()
        if self.num_workers == 0:
            return batches
        return _Prefetcher(batches, self.num_workers * max(self.prefetch_factor, 1), self)

    # ------------------------------------------------------------- fetching
    def _fetch_map(self, indices):
        ds = self.dataset
        if self.collate_fn is default_collate:
            fetch = getattr(ds, "_fetch_collated", None)
            if fetch is not None:
                out = fetch(indices)
                if out is not None:
                    return out
        getitems = getattr(ds, "__getitems__", None)
        data = getitems(indices) if callable(getitems) else [ds[i] for i in indices]
        return self.collate_fn(data)

    def _batches(self):
        """Generator of the epoch's batches (runs in the caller's thread or the prefetch thread)."""
        if self._dataset_kind == "map":
            if self._auto_collation:
                for indices in self.batch_sampler:
                    yield self._fetch_map(list(indices))
            else:
                for index in self.sampler:
                    yield self.collate_fn(self.dataset[index])
            return
        it = iter(self.dataset)
        if not self._auto_collation:
            for item in it:
                yield self.collate_fn(item)
            return
        while True:
            batch = [x for _, x in zip(range(self.batch_size), it)]
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield self.collate_fn(batch)
            if len(batch) < self.batch_size:
                return


_DONE = object()


class _Prefetcher:
    """Runs a batch generator in a daemon thread, ``depth`` batches ahead; re-raises its errors here.

    The thread holds only the queue and the stop flag, so dropping (or closing) this iterator stops it.
    """

    def __init__(self, batches, depth: int, loader: DataLoader) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=max(depth, 1))
        self._stop = threading.Event()
        self._timeout = loader.timeout or None
        seed = int(default_generator.np.integers(0, 2 ** 63 - 1))
        info = WorkerInfo(id=0, num_workers=1, seed=seed, dataset=loader.dataset)
        self._thread = threading.Thread(target=_prefetch_loop, daemon=True,
                                        args=(batches, self._queue, self._stop, info, loader.worker_init_fn))
        self._thread.start()

    def __iter__(self):
        return self

    def __next__(self):
        if self._stop.is_set():
            raise StopIteration
        try:
            batch, err = self._queue.get(timeout=self._timeout)
        except queue.Empty:
            self.close()
            raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds") from None
        if err is not None:
            self.close()
            raise err
        if batch is _DONE:
            self.close()
            raise StopIteration
        return batch

    def close(self) -> None:
        self._stop.set()

    def __del__(self) -> None:
        self._stop.set()


def _prefetch_loop(batches, q: queue.Queue, stop: threading.Event, info: WorkerInfo, worker_init_fn) -> None:
    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    _worker_info.info = info
    try:
        if worker_init_fn is not None:
            worker_init_fn(0)
        for batch in batches:
            if not put((batch, None)):
                return
        put((_DONE, None))
    except BaseException as e:  # handed to the consumer, raised at its next()
        put((None, e))
