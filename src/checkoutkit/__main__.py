"""``python -m checkoutkit``: the command line."""

import sys

from checkoutkit._cli import main

sys.exit(main())
