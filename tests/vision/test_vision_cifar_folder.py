"""CIFAR10/100 readers and ImageFolder on small files in the original formats, written by the tests."""
import hashlib
import os
import pickle

import numpy as np
import pytest
from PIL import Image

import numtorch
from numtorch.utils.data import DataLoader, default_collate
from numtorch.vision import datasets, transforms


def _write_cifar10(root, n=4, byte_keys=True):
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    k = (lambda s: s.encode()) if byte_keys else (lambda s: s)
    images = {}
    for i, name in enumerate([f"data_batch_{j}" for j in range(1, 6)] + ["test_batch"]):
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        labels = [(i + j) % 10 for j in range(n)]
        images[name] = (data, labels)
        with open(folder / name, "wb") as f:
            pickle.dump({k("batch_label"): k(name), k("labels"): labels, k("data"): data,
                         k("filenames"): [k(f"img{j}.png") for j in range(n)]}, f, protocol=2)
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({k("label_names"): [k(c) for c in names], k("num_vis"): 3072}, f, protocol=2)
    return images


def _md5(p):
    return hashlib.md5(p.read_bytes()).hexdigest()


def _local_cifar10(root):
    folder = root / "cifar-10-batches-py"

    class LocalCIFAR10(datasets.CIFAR10):
        train_list = [[f"data_batch_{j}", _md5(folder / f"data_batch_{j}")] for j in range(1, 6)]
        test_list = [["test_batch", _md5(folder / "test_batch")]]
        meta = dict(datasets.CIFAR10.meta, md5=None)
    return LocalCIFAR10


@pytest.mark.parametrize("byte_keys", [True, False])
def test_cifar10_reader(tmp_path, byte_keys):
    written = _write_cifar10(tmp_path, byte_keys=byte_keys)
    cls = _local_cifar10(tmp_path)
    train = cls(str(tmp_path), train=True)
    assert len(train) == 20 and train.data.shape == (20, 32, 32, 3) and train.data.dtype == np.uint8
    data, labels = written["data_batch_2"]
    img, label = train[4]
    np.testing.assert_array_equal(img, data[0].reshape(3, 32, 32).transpose(1, 2, 0))
    assert label == labels[0] and isinstance(train.targets, list)
    assert train.classes[3] == "cat" and train.class_to_idx["truck"] == 9
    test = cls(str(tmp_path), train=False, transform=transforms.ToTensor())
    x, _ = test[1]
    assert tuple(x.shape) == (3, 32, 32)
    np.testing.assert_allclose(x.numpy(), written["test_batch"][0][1].reshape(3, 32, 32) / 255.0, rtol=1e-6)
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5, 0.4, 0.3), (0.2, 0.25, 0.3))])
    train.transform = tf
    for (a, b), (c, d) in zip(DataLoader(train, batch_size=7),
                              DataLoader(train, batch_size=7, collate_fn=lambda b: default_collate(b))):
        np.testing.assert_array_equal(a.numpy(), c.numpy())
        np.testing.assert_array_equal(b.numpy(), d.numpy())


def test_cifar_errors(tmp_path):
    _write_cifar10(tmp_path)
    with pytest.raises(RuntimeError, match=r"data_batch_1: MD5 checksum mismatch"):
        datasets.CIFAR10(str(tmp_path))  # the published MD5s do not match the test files
    cls = _local_cifar10(tmp_path)
    with open(tmp_path / "cifar-10-batches-py" / "test_batch", "wb") as f:
        f.write(b"cos\nsystem\n(S'echo hacked'\ntR.")
    cls.test_list = [["test_batch", None]]
    with pytest.raises(RuntimeError, match=r"test_batch: refusing to load (os|posix)\.system"):
        cls(str(tmp_path), train=False)
    (tmp_path / "cifar-10-batches-py" / "test_batch").write_bytes(pickle.dumps({"data": 1}, protocol=2)[:-5])
    with pytest.raises(RuntimeError, match=r"test_batch is truncated or not a valid pickle"):
        cls(str(tmp_path), train=False)
    with pytest.raises(RuntimeError, match=r"Dataset not found or corrupted.*\n.*missing data_batch_1"):
        datasets.CIFAR10(str(tmp_path / "nowhere"))


def test_cifar100_reader(tmp_path):
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    rng = np.random.default_rng(1)
    data = rng.integers(0, 256, (6, 3072), dtype=np.uint8)
    for name in ("train", "test"):
        with open(folder / name, "wb") as f:
            pickle.dump({b"data": data, b"fine_labels": [0, 99, 5, 6, 7, 8], b"coarse_labels": [0] * 6}, f,
                        protocol=2)
    with open(folder / "meta", "wb") as f:
        pickle.dump({b"fine_label_names": [f"c{i}".encode() for i in range(100)]}, f, protocol=2)

    class Local(datasets.CIFAR100):
        train_list = [["train", None]]
        test_list = [["test", None]]
        meta = dict(datasets.CIFAR100.meta, md5=None)
    ds = Local(str(tmp_path))
    assert len(ds) == 6 and ds.targets[1] == 99 and ds.classes[99] == "c99"


def _write_folder(root):
    rng = np.random.default_rng(0)
    arrays = {}
    for cls, files in {"cat": ["b.png", "a.png"], "dog": ["c.jpg"], "zebra": ["d.PNG", "notes.txt"]}.items():
        (root / cls).mkdir(parents=True)
        for f in files:
            if f.endswith(".txt"):
                (root / cls / f).write_text("not an image")
                continue
            arr = rng.integers(0, 256, (6, 5, 3), dtype=np.uint8)
            Image.fromarray(arr).save(root / cls / f)
            arrays[os.path.join(cls, f)] = arr
    Image.fromarray(arrays["cat/a.png"][:, :, 0]).save(root / "cat" / "a.png")  # a grayscale file
    return arrays


def test_image_folder(tmp_path):
    arrays = _write_folder(tmp_path)
    ds = datasets.ImageFolder(str(tmp_path))
    assert ds.classes == ["cat", "dog", "zebra"] and ds.class_to_idx == {"cat": 0, "dog": 1, "zebra": 2}
    assert [os.path.relpath(p, tmp_path) for p, _ in ds.samples] == ["cat/a.png", "cat/b.png", "dog/c.jpg",
                                                                     "zebra/d.PNG"]
    assert ds.targets == [0, 0, 1, 2] and len(ds) == 4
    img, label = ds[1]
    assert isinstance(img, Image.Image) and img.mode == "RGB" and img.size == (5, 6) and label == 0
    np.testing.assert_array_equal(np.asarray(img), arrays["cat/b.png"])
    gray, _ = ds[0]
    assert gray.mode == "RGB"  # converted, as torchvision's pil_loader does
    ds.transform = transforms.Compose([transforms.Resize((8, 8)), transforms.ToTensor()])
    x, y = next(iter(DataLoader(ds, batch_size=4)))
    assert tuple(x.shape) == (4, 3, 8, 8) and y.tolist() == [0, 0, 1, 2] and x.dtype == numtorch.float32


def test_image_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder in"):
        datasets.ImageFolder(str(tmp_path))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes empty"):
        datasets.ImageFolder(str(tmp_path))
    assert len(datasets.ImageFolder(str(tmp_path), allow_empty=True)) == 0
