"""numtorch.utils.data: datasets, samplers, DataLoader rules, checked against torch.utils.data."""
import itertools
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import numtorch
from numtorch.utils import data as ntd
from torch.utils import data as td


class Squares(ntd.Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i * i


class TorchSquares(td.Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i * i


class Stream(ntd.IterableDataset):
    def __init__(self, n, with_len=True):
        self.n = n
        if with_len:
            self.__class__ = StreamLen

    def __iter__(self):
        return iter(range(self.n))


class StreamLen(Stream):
    def __len__(self):
        return self.n


class TorchStream(td.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def _flat(loader):
    return [b.tolist() if hasattr(b, "tolist") else b for b in loader]


@pytest.mark.parametrize("n,bs,drop_last", [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False),
                                             (2, 5, True), (7, 1, False)])
def test_len_and_batches_match_torch(n, bs, drop_last):
    ours = ntd.DataLoader(Squares(n), batch_size=bs, drop_last=drop_last)
    theirs = td.DataLoader(TorchSquares(n), batch_size=bs, drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert _flat(ours) == _flat(theirs)
    assert len(_flat(ours)) == len(ours)


@pytest.mark.parametrize("bs,drop_last", [(3, False), (3, True), (None, False)])
def test_iterable_dataset_len_and_batches_match_torch(bs, drop_last):
    ours = ntd.DataLoader(StreamLen(10), batch_size=bs, drop_last=drop_last)
    theirs = td.DataLoader(TorchStream(10), batch_size=bs, drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert _flat(ours) == _flat(theirs)


def test_batch_size_none_and_batch_sampler():
    assert _flat(ntd.DataLoader(Squares(4), batch_size=None)) == [0, 1, 4, 9]
    bs = [[3, 1], [0], [2, 2]]
    ours = ntd.DataLoader(Squares(4), batch_sampler=bs)
    assert len(ours) == 3 and _flat(ours) == [[9, 1], [0], [4, 4]]
    sampler = ntd.BatchSampler(ntd.SequentialSampler(range(10)), 4, drop_last=False)
    assert list(sampler) == list(td.BatchSampler(td.SequentialSampler(range(10)), 4, False))
    assert len(ntd.BatchSampler(range(10), 4, True)) == 2


def test_seeded_order_reproducible_and_seed_dependent():
    def epoch(seed, **kw):
        g = numtorch.Generator().manual_seed(seed)
        return [b.tolist() for b in ntd.DataLoader(list(range(50)), batch_size=7, shuffle=True, generator=g, **kw)]
    a, b, c = epoch(0), epoch(0), epoch(1)
    assert a == b and a != c
    assert sorted(itertools.chain(*a)) == list(range(50))
    numtorch.manual_seed(3)
    d = [x.tolist() for x in ntd.DataLoader(list(range(50)), batch_size=7, shuffle=True)]
    numtorch.manual_seed(3)
    e = [x.tolist() for x in ntd.DataLoader(list(range(50)), batch_size=7, shuffle=True)]
    assert d == e
    loader = ntd.DataLoader(list(range(50)), batch_size=50, shuffle=True)
    assert next(iter(loader)).tolist() != next(iter(loader)).tolist()  # a new order each epoch


def test_num_workers_prefetch_same_batches_and_errors_propagate():
    ds = ntd.TensorDataset(numtorch.arange(20).float(), numtorch.arange(20))
    g = lambda: numtorch.Generator().manual_seed(5)  # noqa: E731
    plain = [b[1].tolist() for b in ntd.DataLoader(ds, batch_size=6, shuffle=True, generator=g())]
    calls, infos = [], []

    def init(wid):
        calls.append(wid)
        infos.append(ntd.get_worker_info())
    loader = ntd.DataLoader(ds, batch_size=6, shuffle=True, generator=g(), num_workers=2, pin_memory=True,
                            worker_init_fn=init, persistent_workers=True, prefetch_factor=3)
    assert [b[1].tolist() for b in loader] == plain
    assert calls == [0] and infos[0].num_workers == 1 and ntd.get_worker_info() is None

    class Bad(ntd.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            if i == 2:
                raise KeyError("boom")
            return i
    with pytest.raises(KeyError, match="boom"):
        list(ntd.DataLoader(Bad(), batch_size=1, num_workers=1))
    before = threading.active_count()
    it = iter(ntd.DataLoader(Squares(1000), batch_size=1, num_workers=1))
    assert next(it).tolist() == [0] and threading.active_count() == before + 1
    del it  # an abandoned epoch stops its thread
    for _ in range(100):
        if threading.active_count() == before:
            break
        time.sleep(0.01)
    assert threading.active_count() == before


@pytest.mark.parametrize("kwargs,msg", [
    (dict(num_workers=-1), "num_workers option should be non-negative"),
    (dict(sampler=[0, 1], shuffle=True), "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive"),
    (dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching"),
    (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
    (dict(prefetch_factor=2), "prefetch_factor option could only be specified in multiprocessing"),
])
def test_argument_errors_match_torch(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        ntd.DataLoader(Squares(3), **kwargs)
    with pytest.raises(ValueError, match=msg):
        td.DataLoader(TorchSquares(3), **kwargs)


def test_iterable_dataset_rejects_shuffle_and_attribute_freeze():
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        ntd.DataLoader(StreamLen(3), shuffle=True)
    loader = ntd.DataLoader(Squares(3))
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is initialized"):
        loader.batch_size = 4


def test_samplers():
    g = numtorch.Generator().manual_seed(0)
    perm = list(ntd.RandomSampler(range(10), generator=g))
    assert sorted(perm) == list(range(10))
    s = ntd.RandomSampler(range(10), replacement=True, num_samples=25, generator=g)
    draws = list(s)
    assert len(s) == 25 and len(draws) == 25 and all(0 <= d < 10 for d in draws)
    many = list(ntd.RandomSampler(range(4), num_samples=10, generator=g))
    assert len(many) == 10 and sorted(many[:4]) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        ntd.RandomSampler(range(3), num_samples=0)
    sub = list(ntd.SubsetRandomSampler([5, 7, 9], generator=g))
    assert sorted(sub) == [5, 7, 9]
    w = list(ntd.WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 200, generator=g))
    assert set(w) <= {1, 3} and 100 < w.count(3) < 190
    w2 = list(ntd.WeightedRandomSampler([1.0, 1.0, 1.0], 3, replacement=False, generator=g))
    assert sorted(w2) == [0, 1, 2]
    with pytest.raises(ValueError, match="weights should be a 1d sequence"):
        ntd.WeightedRandomSampler([[1.0]], 1)
    assert list(ntd.SequentialSampler(range(3))) == [0, 1, 2]


def test_datasets_and_random_split():
    x, y = numtorch.arange(12).float().reshape(6, 2), numtorch.arange(6)
    ds = ntd.TensorDataset(x, y)
    assert len(ds) == 6 and ds[2][1].item() == 2 and ds[2][0].tolist() == [4.0, 5.0]
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        ntd.TensorDataset(x, numtorch.arange(5))
    cat = ntd.ConcatDataset([Squares(3), Squares(2)])
    assert len(cat) == 5 and [cat[i] for i in range(5)] == [0, 1, 4, 0, 1] and cat[-1] == 1
    assert len(Squares(2) + Squares(4)) == 6
    sub = ntd.Subset(Squares(10), [9, 1])
    assert len(sub) == 2 and sub[0] == 81
    stack = ntd.StackDataset(a=Squares(3), b=Squares(3))
    assert stack[2] == {"a": 4, "b": 4}
    assert list(ntd.ChainDataset([StreamLen(2), StreamLen(3)])) == [0, 1, 0, 1, 2]
    parts = ntd.random_split(range(10), [0.3, 0.3, 0.4], generator=numtorch.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [len(p) for p in td.random_split(range(10), [0.3, 0.3, 0.4])]
    assert sorted(itertools.chain(*[list(p) for p in parts])) == list(range(10))
    parts2 = ntd.random_split(range(10), [0.3, 0.3, 0.4], generator=numtorch.Generator().manual_seed(1))
    assert [list(p) for p in parts] == [list(p) for p in parts2]
    assert [len(p) for p in ntd.random_split(range(11), [0.5, 0.5])] == [6, 5]
    assert [len(p) for p in ntd.random_split(range(5), [2, 3])] == [2, 3]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset!"):
        ntd.random_split(range(5), [2, 2])


def test_tensor_dataset_fast_path_equals_item_collation():
    x = numtorch.randn(30, 3, 4)
    y = numtorch.randint(0, 5, (30,))
    ds = ntd.TensorDataset(x, y)
    fast = list(ntd.DataLoader(ds, batch_size=8, shuffle=True, generator=numtorch.Generator().manual_seed(2)))
    slow = list(ntd.DataLoader(ds, batch_size=8, shuffle=True, generator=numtorch.Generator().manual_seed(2),
                               collate_fn=lambda b: ntd.default_collate(b)))
    for (a1, b1), (a2, b2) in zip(fast, slow):
        np.testing.assert_array_equal(a1.numpy(), a2.numpy())
        np.testing.assert_array_equal(b1.numpy(), b2.numpy())
        assert a1.dtype == a2.dtype and b1.dtype == b2.dtype



@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 40), bs=st.integers(1, 12), drop_last=st.booleans())
def test_len_rule_property_vs_torch(n, bs, drop_last):
    ours = ntd.DataLoader(list(range(n)), batch_size=bs, drop_last=drop_last)
    theirs = td.DataLoader(list(range(n)), batch_size=bs, drop_last=drop_last)
    batches = [b.tolist() for b in ours]
    assert len(ours) == len(theirs) == len(batches)
    assert batches == [b.tolist() for b in theirs]
    it = ntd.DataLoader(StreamLen(n), batch_size=bs, drop_last=drop_last)
    assert len(it) == len(td.DataLoader(TorchStream(n), batch_size=bs, drop_last=drop_last)) == len(list(it))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 60), fracs=st.lists(st.integers(1, 10), min_size=1, max_size=4))
def test_random_split_fraction_lengths_property(n, fracs):
    total = sum(fracs)
    fr = [f / total for f in fracs]
    fr[-1] = 1.0 - sum(fr[:-1])
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outcome = []
        for split in (ntd.random_split, td.random_split):
            try:
                outcome.append([len(p) for p in split(range(n), fr)])
            except ValueError as e:  # a float sum just above 1: both must refuse alike
                outcome.append(str(e))
    assert outcome[0] == outcome[1]
    assert isinstance(outcome[0], str) or sum(outcome[0]) == n
