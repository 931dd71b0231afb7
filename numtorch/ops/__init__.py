"""Differentiable ops, grouped by family. Importing this package attaches them to Tensor."""
from .._backend import xp

# PyTorch returns inf/nan from overflow, 0/0 and log(0) silently; so do numtorch's ops. Setting NumPy's
# error state once is much cheaper than an ``errstate`` block (~3 us) around every op.
xp.seterr(over="ignore", divide="ignore", invalid="ignore", under="ignore")
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
from .extra import *  # noqa: F401,F403
from .special_functions import *  # noqa: F401,F403
