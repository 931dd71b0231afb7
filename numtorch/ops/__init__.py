"""Differentiable ops, grouped by family. Importing this package attaches them to Tensor."""
from .arithmetic import *  # noqa: F401,F403
from .compare import *  # noqa: F401,F403
from .elementwise import *  # noqa: F401,F403
from .indexing import *  # noqa: F401,F403
from .reduction import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .pointwise import *  # noqa: F401,F403
from .statistics import *  # noqa: F401,F403
from .sorting import *  # noqa: F401,F403
from .layout import *  # noqa: F401,F403
from .scatter import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .inplace import *  # noqa: F401,F403
from .misc import *  # noqa: F401,F403
