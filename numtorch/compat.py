"""Run an unmodified PyTorch script on numtorch.

    numtorch run train.py --epochs 2          # or: python -m numtorch.compat train.py --epochs 2

``torch`` and every ``torch.*`` submodule resolve to ``numtorch`` and its submodules,
``torchvision`` and ``torchvision.*`` to ``numtorch.vision``; everything else the script
imports (argparse, tqdm, matplotlib, NumPy...) is untouched. The script runs as
``__main__`` with ``sys.argv`` set, as ``python script.py args`` would run it.

Inside the run, a PyTorch name numtorch lacks fails where it is used with
``NotImplementedError: numtorch does not support torch.xyz yet`` (also an
``AttributeError``/``ImportError`` so that feature probes keep working).
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import runpy
import sys
import traceback
from contextlib import contextmanager
from typing import Iterator, Sequence

from ._missing import MissingAPIError, missing_attribute

ALIASES = {"torch": "numtorch", "torchvision": "numtorch.vision"}


class MissingModuleError(ModuleNotFoundError, NotImplementedError):
    """``import torch.xyz`` for a submodule numtorch does not have."""


MissingModuleError.__module__ = "builtins"
MissingModuleError.__qualname__ = MissingModuleError.__name__ = "NotImplementedError"


def real_name(fullname: str) -> str | None:
    """``torch.nn.functional`` -> ``numtorch.nn.functional``; None for names that are not aliased."""
    top = fullname.partition(".")[0]
    if top not in ALIASES:
        return None
    return ALIASES[top] + fullname[len(top):]


_installed: list = []  # modules given a __getattr__ by this runner (removed when the run ends)


def _install_getattr(module) -> None:
    """Give a numtorch module PyTorch-style errors for missing names (if it has no __getattr__)."""
    d = getattr(module, "__dict__", None)
    if not isinstance(d, dict) or "__getattr__" in d or not getattr(module, "__name__", "").startswith("numtorch"):
        return
    name = module.__name__

    def __getattr__(attr: str):
        value = missing_attribute(name, attr)
        _install_getattr(value)
        return value
    __getattr__._numtorch_compat = True
    d["__getattr__"] = __getattr__
    _installed.append(module)


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, real: str) -> None:
        self.real = real
        self.module = None

    def create_module(self, spec):
        self.module = importlib.import_module(self.real)
        self.spec = self.module.__spec__
        return self.module

    def exec_module(self, module) -> None:
        # the import system stamped the alias spec on the module: give it back its own
        module.__spec__ = self.spec
        _install_getattr(module)


class TorchAliasFinder(importlib.abc.MetaPathFinder):
    """Resolves ``torch.*``/``torchvision.*`` imports to the numtorch module of the same path."""

    def find_spec(self, fullname, path=None, target=None):
        real = real_name(fullname)
        if real is None:
            return None
        if real in sys.modules:
            return importlib.machinery.ModuleSpec(fullname, _AliasLoader(real))
        try:
            found = importlib.util.find_spec(real)
        except ModuleNotFoundError:
            found = None
        if found is None:
            raise MissingModuleError(f"numtorch does not support {fullname} yet (no module {real})",
                                     name=fullname)
        is_package = found.submodule_search_locations is not None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(real), is_package=is_package)


def _tensor_getattr(self, name: str):
    if name.startswith("_"):
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
    raise MissingAPIError(f"numtorch does not support torch.Tensor.{name} yet")


@contextmanager
def torch_aliases() -> Iterator[None]:
    """Within the block, ``import torch``/``torchvision`` give numtorch; restores sys.modules after."""
    import numtorch
    import numtorch.vision
    saved = {k: v for k, v in sys.modules.items() if real_name(k) is not None}
    for k in saved:
        del sys.modules[k]
    sys.modules["torch"] = numtorch
    sys.modules["torchvision"] = numtorch.vision
    finder = TorchAliasFinder()
    sys.meta_path.insert(0, finder)
    for name, mod in list(sys.modules.items()):
        if name.startswith("numtorch"):
            _install_getattr(mod)
    from .tensor import Tensor
    patched_tensor = "__getattr__" not in Tensor.__dict__
    if patched_tensor:
        Tensor.__getattr__ = _tensor_getattr
    try:
        yield
    finally:
        while _installed:
            d = _installed.pop().__dict__
            if getattr(d.get("__getattr__"), "_numtorch_compat", False):
                del d["__getattr__"]
        if patched_tensor:
            del Tensor.__getattr__
        if finder in sys.meta_path:
            sys.meta_path.remove(finder)
        for k in [k for k in sys.modules if real_name(k) is not None]:
            del sys.modules[k]
        sys.modules.update(saved)


def run_script(path: str, args: Sequence[str] = ()) -> None:
    """Run ``path`` as ``__main__`` with ``sys.argv = [path, *args]`` and torch aliased to numtorch."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"numtorch run: can't open file '{path}': No such file or directory")
    argv, sys_path0 = sys.argv[:], sys.path[:]
    sys.argv = [path, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        with torch_aliases():
            runpy.run_path(path, run_name="__main__")
    finally:
        sys.argv = argv
        sys.path[:] = sys_path0


def run_module(module: str, args: Sequence[str] = ()) -> None:
    """``numtorch run -m package.module args``: like ``python -m`` with torch aliased."""
    argv = sys.argv[:]
    sys.argv = [module, *args]
    try:
        with torch_aliases():
            runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        sys.argv = argv


def print_script_traceback(exc: BaseException, file=None) -> None:
    """Print ``exc``'s traceback without the runner's own frames (runpy, this module, _missing)."""
    here = os.path.dirname(os.path.abspath(__file__))
    hidden = {os.path.join(here, "compat.py"), os.path.join(here, "_missing.py")}
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename not in hidden and "runpy" not in f.filename]
    out = file or sys.stderr
    if frames:
        print("Traceback (most recent call last):", file=out)
        print("".join(traceback.format_list(frames)), end="", file=out)
    print("".join(traceback.format_exception_only(type(exc), exc)), end="", file=out)


def main(argv: Sequence[str] | None = None) -> int:
    """``numtorch run [-m module | script.py] [args...]``; returns the script's exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: numtorch run script.py [args...]\n       numtorch run -m package.module [args...]\n\n"
              "Runs an unmodified PyTorch script with torch, torch.* and torchvision resolved to numtorch.")
        return 0 if argv else 2
    try:
        if argv[0] == "-m":
            if len(argv) < 2:
                print("numtorch run: -m needs a module name", file=sys.stderr)
                return 2
            run_module(argv[1], argv[2:])
        else:
            run_script(argv[0], argv[1:])
    except SystemExit as e:
        code = e.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    except FileNotFoundError as e:
        if argv[0] != "-m" and not os.path.exists(argv[0]):
            print(e, file=sys.stderr)
            return 2
        traceback.print_exc()
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # the script's own error: show its traceback as python would
        print_script_traceback(e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
