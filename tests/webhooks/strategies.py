"""Hypothesis strategies for webhook tests."""

from __future__ import annotations

import string

from hypothesis import strategies as st

#: Well-formed signing secrets: ``whsec_`` and printable characters without edge whitespace.
secrets = st.text(
    alphabet=string.ascii_letters + string.digits + "+/=_-", min_size=1, max_size=80
).map(lambda s: "whsec_" + s)

#: Raw request bodies: any bytes.
payloads = st.binary(max_size=4096)

#: Unix timestamps from 2001 to 2286.
timestamps = st.integers(min_value=1_000_000_000, max_value=9_999_999_999)

#: JSON values, nested.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)

#: Header values a client might send: junk, and near-misses of Stripe's format.
signature_headers = st.one_of(
    st.text(max_size=200),
    st.lists(
        st.tuples(st.sampled_from(["t", "v1", "v0", "", " t", "x"]), st.text(max_size=70)),
        max_size=5,
    ).map(lambda items: ",".join(f"{k}={v}" for k, v in items)),
)
