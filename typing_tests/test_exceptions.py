"""Type-checked only: the exception tree's attributes have the types users rely on."""

from __future__ import annotations

from typing_extensions import assert_type

from checkoutkit import InvalidSessionError, Problem, SignatureVerificationError

err = InvalidSessionError([Problem("mode", "mode_required", "mode is required")])
assert_type(err.problems, tuple[Problem, ...])
assert_type(SignatureVerificationError("no_match", "x").reason, str)
