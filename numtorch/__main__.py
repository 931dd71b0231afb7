"""``python -m numtorch ...``: the numtorch command line (see ``numtorch.cli``)."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
