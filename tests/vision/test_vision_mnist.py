"""MNIST-family readers on the real files (../shared/data), both layouts, and the documented errors."""
import gzip
import os

import numpy as np
import pytest

import numtorch
from numtorch.utils.data import DataLoader, Subset, default_collate, random_split
from numtorch.vision import datasets, transforms
from numtorch.vision.datasets.mnist import read_idx

FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz"]


@pytest.fixture(scope="module")
def mnist_train(data_dir):
    return datasets.MNIST(str(data_dir), train=True, transform=transforms.ToTensor())


@pytest.fixture(scope="module")
def fashion_train(data_dir):
    return datasets.FashionMNIST(str(data_dir / "fashion-mnist"), train=True, transform=transforms.ToTensor())


def _mean_std(ds):
    s = s2 = n = 0.0
    for x, _ in DataLoader(ds, batch_size=20000):
        a = x.numpy().astype(np.float64)
        s, s2, n = s + a.sum(), s2 + (a * a).sum(), n + a.size
    mean = s / n
    return mean, np.sqrt(s2 / n - mean * mean)


@pytest.mark.parametrize("name,labels,mean,std", [("mnist", [5, 0, 4, 1, 9], 0.1307, 0.3081),
                                                  ("fashion", [9, 0, 0, 3, 0], 0.2860, 0.3530)])
def test_real_training_set_facts(name, labels, mean, std, mnist_train, fashion_train):
    ds = mnist_train if name == "mnist" else fashion_train
    assert len(ds) == 60000
    assert tuple(ds.data.shape) == (60000, 28, 28) and ds.data.dtype == numtorch.uint8
    assert ds.targets.dtype == numtorch.int64 and ds.targets[:5].tolist() == labels
    img, label = ds[0]
    assert tuple(img.shape) == (1, 28, 28) and img.dtype == numtorch.float32 and label == labels[0]
    m, s = _mean_std(ds)
    assert round(m, 4) == mean and round(s, 4) == std


def test_test_split_item_without_transform_and_attributes(data_dir):
    ds = datasets.MNIST(str(data_dir), train=False)
    assert len(ds) == 10000
    img, label = ds[0]
    assert isinstance(img, np.ndarray) and img.shape == (28, 28) and img.dtype == np.uint8
    assert isinstance(label, int) and label == 7
    assert ds.class_to_idx["7 - seven"] == 7 and len(ds.classes) == 10
    again = datasets.MNIST(data_dir, train=False, download=True)  # files present: nothing written (read-only dir)
    assert again.targets[:3].tolist() == [7, 2, 1]
    f = datasets.FashionMNIST(str(data_dir), train=False)
    assert len(f) == 10000 and f.classes[9] == "Ankle boot"
    assert "Split: Test" in repr(f)


def _link_all(src, dst):
    os.makedirs(dst, exist_ok=True)
    for f in FILES:
        os.symlink(os.path.join(src, f), os.path.join(dst, f))


def test_directory_layouts(data_dir, tmp_path):
    ref = datasets.MNIST(str(data_dir), train=False).data.numpy()
    _link_all(data_dir / "mnist", tmp_path / "tv" / "MNIST" / "raw")       # torchvision's layout
    _link_all(data_dir / "mnist", tmp_path / "plain")                      # a plain folder
    raw = tmp_path / "unzipped" / "MNIST" / "raw"                          # uncompressed files
    raw.mkdir(parents=True)
    for f in FILES[2:]:
        with gzip.open(data_dir / "mnist" / f) as src, open(raw / f[:-3], "wb") as dst:
            dst.write(src.read())
    for root in (tmp_path / "tv", tmp_path / "plain", tmp_path / "unzipped", data_dir / "mnist"):
        ds = datasets.MNIST(str(root), train=False)
        np.testing.assert_array_equal(ds.data.numpy(), ref)
    assert not any(p.name.endswith(".part") for p in tmp_path.rglob("*"))


def test_md5_mismatch_names_the_file(data_dir, tmp_path):
    _link_all(data_dir / "mnist", tmp_path)
    bad = tmp_path / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray((data_dir / "mnist" / bad.name).read_bytes())
    raw[-10] ^= 0xFF
    bad.unlink()
    bad.write_bytes(bytes(raw))
    with pytest.raises(RuntimeError, match=r"t10k-labels-idx1-ubyte\.gz: MD5 checksum mismatch"):
        datasets.MNIST(str(tmp_path), train=False)


def _idx(arr, magic):
    arr = np.asarray(arr, dtype=np.uint8)
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    return header + arr.tobytes()


def test_truncated_wrong_magic_and_corrupt_gzip(tmp_path):
    imgs = np.arange(3 * 28 * 28).reshape(3, 28, 28) % 256
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(_idx(imgs, 2051))
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(_idx([1, 2, 3], 2049)[:-1])
    with pytest.raises(RuntimeError, match=r"t10k-labels-idx1-ubyte: truncated or corrupt IDX file"):
        datasets.MNIST(str(tmp_path), train=False)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(_idx([1, 2, 3], 2051))
    with pytest.raises(RuntimeError, match=r"t10k-labels-idx1-ubyte: wrong magic number 2051"):
        datasets.MNIST(str(tmp_path), train=False)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(_idx([1, 2, 3], 2049))
    ds = datasets.MNIST(str(tmp_path), train=False)
    assert len(ds) == 3 and ds.targets.tolist() == [1, 2, 3]
    np.testing.assert_array_equal(ds[2][0], imgs[2])
    gz = tmp_path / "x.gz"
    gz.write_bytes(gzip.compress(_idx([1, 2, 3], 2049))[:-12])
    with pytest.raises(RuntimeError, match=r"x\.gz: truncated or corrupt gzip file"):
        read_idx(str(gz), 2049)


def test_missing_files_message(tmp_path):
    with pytest.raises(RuntimeError) as e:
        datasets.FashionMNIST(str(tmp_path), train=True)
    msg = str(e.value)
    assert msg.startswith("Dataset not found. You can use download=True to download it")
    assert "train-images-idx3-ubyte[.gz]" in msg and "train-labels-idx1-ubyte[.gz]" in msg
    for folder in (tmp_path / "FashionMNIST" / "raw", tmp_path, tmp_path / "fashion-mnist"):
        assert str(folder) in msg
    assert "copy the original files" in msg and not any(tmp_path.iterdir())


def test_kmnist_and_emnist_from_written_files(tmp_path):
    imgs = np.random.randint(0, 256, (4, 28, 28))
    k = tmp_path / "kmnist"
    k.mkdir()
    (k / "t10k-images-idx3-ubyte").write_bytes(_idx(imgs, 2051))
    (k / "t10k-labels-idx1-ubyte").write_bytes(_idx([0, 9, 3, 3], 2049))
    ds = datasets.KMNIST(str(tmp_path), train=False)
    assert ds.classes[9] == "wo" and ds.targets.tolist() == [0, 9, 3, 3]
    e = tmp_path / "EMNIST" / "raw"
    e.mkdir(parents=True)
    with gzip.open(e / "emnist-letters-train-images-idx3-ubyte.gz", "wb") as f:
        f.write(_idx(imgs, 2051))
    (e / "emnist-letters-train-labels-idx1-ubyte").write_bytes(_idx([1, 2, 26, 5], 2049))
    em = datasets.EMNIST(str(tmp_path), split="letters")
    assert len(em) == 4 and em.classes[26] == "z" and em[2][1] == 26
    np.testing.assert_array_equal(em[1][0], imgs[1])
    with pytest.raises(ValueError, match="Unknown value 'nope' for argument split"):
        datasets.EMNIST(str(tmp_path), split="nope")


@pytest.mark.parametrize("transform", [None, transforms.ToTensor(),
                                       transforms.Compose([transforms.ToTensor(),
                                                           transforms.Normalize((0.1307,), (0.3081,))])])
def test_vectorised_batches_identical_to_per_item(data_dir, transform):
    ds = datasets.MNIST(str(data_dir), train=False, transform=transform)
    sub = random_split(ds, [0.5, 0.5], generator=numtorch.Generator().manual_seed(0))[0]
    for d in (ds, sub):
        kw = dict(batch_size=64, shuffle=True)
        fast = DataLoader(d, generator=numtorch.Generator().manual_seed(1), **kw)
        slow = DataLoader(d, generator=numtorch.Generator().manual_seed(1), collate_fn=lambda b: default_collate(b),
                          **kw)
        for i, ((x1, y1), (x2, y2)) in enumerate(zip(fast, slow)):
            assert x1.dtype == x2.dtype and y1.dtype == y2.dtype and x1.shape == x2.shape
            np.testing.assert_array_equal(x1.numpy(), x2.numpy())
            np.testing.assert_array_equal(y1.numpy(), y2.numpy())
            if i == 5:
                break
    assert isinstance(sub, Subset)
