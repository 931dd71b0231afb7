"""download=True against a local HTTP server: mirror fallback, MD5 check, atomic writes, offline errors."""
import functools
import gzip
import hashlib
import http.server
import os
import socket
import threading

import numpy as np
import pytest

from numtorch.vision import datasets
from numtorch.vision.datasets.utils import download_url


def _idx(arr, magic):
    arr = np.asarray(arr, dtype=np.uint8)
    return magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in arr.shape) + arr.tobytes()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Serves <dir>/good/ with small gzip IDX files; /bad/ is empty (404)."""
    root = tmp_path_factory.mktemp("www")
    (root / "good").mkdir()
    (root / "bad").mkdir()
    rng = np.random.default_rng(0)
    payload = {"t10k-images-idx3-ubyte.gz": _idx(rng.integers(0, 256, (5, 28, 28)), 2051),
               "t10k-labels-idx1-ubyte.gz": _idx([3, 1, 4, 1, 5], 2049),
               "train-images-idx3-ubyte.gz": _idx(rng.integers(0, 256, (2, 28, 28)), 2051),
               "train-labels-idx1-ubyte.gz": _idx([2, 7], 2049)}
    md5 = {}
    for name, data in payload.items():
        blob = gzip.compress(data)
        (root / "good" / name).write_bytes(blob)
        md5[name] = hashlib.md5(blob).hexdigest()
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass
    handler = functools.partial(Quiet, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", md5
    httpd.shutdown()


def _closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _cls(base_url, md5, mirrors):
    class LocalMNIST(datasets.MNIST):
        pass
    LocalMNIST.mirrors = [base_url + m for m in mirrors]
    LocalMNIST.resources = list(md5.items())
    LocalMNIST.__name__ = "MNIST"
    return LocalMNIST


def test_download_tries_next_mirror_and_verifies(server, tmp_path):
    url, md5 = server
    cls = _cls(url, md5, ["/bad/", "/good/"])
    ds = cls(str(tmp_path), train=False, download=True)
    assert ds.targets.tolist() == [3, 1, 4, 1, 5] and tuple(ds.data.shape) == (5, 28, 28)
    raw = tmp_path / "MNIST" / "raw"
    assert sorted(os.listdir(raw)) == sorted(md5)  # every file, nothing half-written
    again = cls(str(tmp_path), train=True, download=True)  # already there: no network needed
    assert again.targets.tolist() == [2, 7]


def test_checksum_mismatch_leaves_nothing(server, tmp_path):
    url, md5 = server
    wrong = {k: "0" * 32 for k in md5}
    cls = _cls(url, wrong, ["/good/"])
    with pytest.raises(RuntimeError, match=r"(?s)t10k-images-idx3-ubyte\.gz.*checksum mismatch"):
        cls(str(tmp_path), train=False, download=True)
    assert os.listdir(tmp_path / "MNIST" / "raw") == []


def test_offline_error_names_the_file_and_mirrors(tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}"
    cls = _cls(url, {"t10k-images-idx3-ubyte.gz": None, "t10k-labels-idx1-ubyte.gz": None}, ["/a/", "/b/"])
    with pytest.raises(RuntimeError, match=r"Error downloading t10k-images-idx3-ubyte\.gz") as e:
        cls(str(tmp_path), train=False, download=True)
    assert f"{url}/a/t10k-images-idx3-ubyte.gz" in str(e.value) and f"{url}/b/" in str(e.value)
    assert os.listdir(tmp_path / "MNIST" / "raw") == []


def test_download_url_atomic(server, tmp_path):
    url, md5 = server
    name = "t10k-labels-idx1-ubyte.gz"
    path = download_url(f"{url}/good/{name}", str(tmp_path), md5=md5[name])
    assert os.path.basename(path) == name and os.listdir(tmp_path) == [name]
    with pytest.raises(RuntimeError, match="could not download"):
        download_url(f"{url}/bad/{name}", str(tmp_path / "x"))
    assert os.listdir(tmp_path / "x") == []


def test_emnist_and_cifar_archives(server, tmp_path):
    import io
    import pickle
    import tarfile
    import zipfile
    url, _ = server
    www = tmp_path / "www"
    www.mkdir()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("gzip/emnist-digits-test-images-idx3-ubyte.gz", gzip.compress(_idx(np.ones((2, 28, 28)), 2051)))
        z.writestr("gzip/emnist-digits-test-labels-idx1-ubyte.gz", gzip.compress(_idx([4, 2], 2049)))
    (www / "gzip.zip").write_bytes(buf.getvalue())
    folder = tmp_path / "src" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name in ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"]:
        (folder / name).write_bytes(pickle.dumps({"data": np.zeros((1, 3072), np.uint8), "labels": [3]}, protocol=2))
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": [str(i) for i in range(10)]}, protocol=2))
    with tarfile.open(www / "cifar.tar.gz", "w:gz") as t:
        t.add(folder, arcname="cifar-10-batches-py")
    # serve the new files with a second local server rooted at www
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(www)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        class LocalEMNIST(datasets.EMNIST):
            url = base + "/gzip.zip"
            md5 = hashlib.md5((www / "gzip.zip").read_bytes()).hexdigest()
        LocalEMNIST.__name__ = "EMNIST"
        em = LocalEMNIST(str(tmp_path / "e"), split="digits", train=False, download=True)
        assert em.targets.tolist() == [4, 2]
        assert sorted(os.listdir(tmp_path / "e" / "EMNIST" / "raw")) == [
            "emnist-digits-test-images-idx3-ubyte.gz", "emnist-digits-test-labels-idx1-ubyte.gz"]

        class LocalCIFAR(datasets.CIFAR10):
            url = base + "/cifar.tar.gz"
            filename = "cifar.tar.gz"
            tgz_md5 = hashlib.md5((www / "cifar.tar.gz").read_bytes()).hexdigest()
            train_list = [[n, None] for n, _ in datasets.CIFAR10.train_list]
            test_list = [["test_batch", None]]
            meta = dict(datasets.CIFAR10.meta, md5=None)
        c = LocalCIFAR(str(tmp_path / "c"), download=True)
        assert len(c) == 5 and c.targets == [3] * 5 and c.classes[3] == "3"
    finally:
        httpd.shutdown()
