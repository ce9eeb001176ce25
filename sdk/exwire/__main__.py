"""``python -m exwire``: the ``exwire`` command (see :mod:`exwire.cli`)."""

import sys

from exwire.cli import main

if __name__ == "__main__":
    sys.exit(main())
