"""Framework adapters: ``checkoutkit.adapters.flask``, ``.fastapi`` and ``.django``.

Each mounts the same four endpoints of a :class:`checkoutkit.Checkout` under a prefix the
application chooses. Import the one you use; each needs its framework's extra installed.
"""
