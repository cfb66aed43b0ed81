"""Framework adapters: ``checkoutkit.adapters.flask``, ``.fastapi``, ``.django`` and ``.litestar``.

Each mounts the same four endpoints of a :class:`checkoutkit.Checkout` under a prefix the
application chooses. Import the one you use; each needs its framework's extra installed.
They are all built on :mod:`checkoutkit.adapters.endpoints`, the public adapter contract,
which needs no framework.
"""
