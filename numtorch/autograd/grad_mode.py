"""Gradient-mode switches: no_grad, enable_grad, set_grad_enabled, inference_mode.

One flag read by every op, per thread as in PyTorch (a thread's switches do not affect other threads,
and every new thread starts with gradients enabled); each switch is a context manager that also works as
a decorator, in the manner of DeZero's ``using_config``.
"""
from __future__ import annotations

import functools
import threading


class _GradState(threading.local):
    enabled = True     # class defaults: what every new thread starts with
    inference = False


_grad = _GradState()


def is_grad_enabled() -> bool:
    return _grad.enabled


def is_inference_mode_enabled() -> bool:
    return _grad.inference


class _GradModeSwitch:
    """Base for the switches: sets the flag on enter, restores it on exit."""

    _mode = True

    def __enter__(self):
        self._prev = _grad.enabled
        _grad.enabled = self._mode

    def __exit__(self, *exc):
        _grad.enabled = self._prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self._clone():
                return func(*args, **kwargs)
        return wrapper

    def _clone(self):
        return self.__class__()


class _NoArgSwitch(_GradModeSwitch):
    """A switch that takes no argument, so it also works as a bare ``@decorator`` without parentheses."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoArgSwitch):
    """Disable gradient tracking inside the block (or the decorated function)."""

    _mode = False


class enable_grad(_NoArgSwitch):
    """Enable gradient tracking inside the block, even within ``no_grad``."""

    _mode = True


class inference_mode(_GradModeSwitch):
    """Like ``no_grad``; numtorch has no separate inference tensors."""

    def __new__(cls, mode=True):
        if callable(mode):  # bare ``@inference_mode``
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True):
        self._mode = not mode

    def __enter__(self):
        super().__enter__()
        _grad.inference = not self._mode

    def __exit__(self, *exc):
        _grad.inference = False
        return super().__exit__(*exc)

    def _clone(self):
        return inference_mode(not self._mode)


class set_grad_enabled(_GradModeSwitch):
    """Set gradient tracking on or off; takes effect at once, and as a context manager restores it."""

    def __init__(self, mode: bool):
        self._mode = bool(mode)
        self._prev = _grad.enabled
        _grad.enabled = self._mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _grad.enabled = self._prev
        return False

    def __call__(self, func):
        _grad.enabled = self._prev  # used as a decorator: don't leave the flag changed
        return super().__call__(func)

    def _clone(self):
        return _PlainSwitch(self._mode)


class _PlainSwitch(_GradModeSwitch):
    def __init__(self, mode: bool):
        self._mode = mode

    def _clone(self):
        return _PlainSwitch(self._mode)
