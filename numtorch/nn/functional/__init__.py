"""numtorch.nn.functional: stateless layer functions (torch.nn.functional's names)."""
from .activation import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .embedding import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .sampling import *  # noqa: F401,F403

from ..._missing import module_getattr  # noqa: E402

__getattr__ = module_getattr(__name__)  # unknown torch.nn names raise "numtorch does not support ... yet"
