"""numtorch.save / numtorch.load. Being written: see issue 3/7."""


def save(obj, f, **kwargs):
    raise NotImplementedError


def load(f, **kwargs):
    raise NotImplementedError
