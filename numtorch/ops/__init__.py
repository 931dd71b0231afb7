"""Differentiable ops, grouped by family. Importing this package attaches them to Tensor."""
from .arithmetic import *  # noqa: F401,F403
from .compare import *  # noqa: F401,F403
from .elementwise import *  # noqa: F401,F403
from .indexing import *  # noqa: F401,F403
from .reduction import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
