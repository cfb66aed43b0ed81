"""``python -m checkoutkit``: the same command line as the ``checkoutkit`` script."""

from checkoutkit._cli import main

raise SystemExit(main())
