"""The one place numtorch imports its array library.

Op code does ``from numtorch._backend import xp`` and calls ``xp.exp``,
``xp.matmul`` and so on, so that a CuPy-compatible module can replace NumPy
later by changing this file alone.
"""
import numpy

xp = numpy

ndarray = xp.ndarray


def asarray(data, dtype=None):
    return xp.asarray(data, dtype=dtype)


def is_array(obj) -> bool:
    return isinstance(obj, xp.ndarray)
