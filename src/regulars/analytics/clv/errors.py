"""Errors of the CLV tools: bad input files are the user's to fix, so they carry a clear message."""

from __future__ import annotations

from regulars.domain.errors import ValidationError


class ClvInputError(ValidationError):
    """A transactions file or argument the models cannot use (missing column, bad date, empty)."""

    code = "clv_input"


class ClvFitError(ValidationError):
    """Too little data to fit a model (for example no repeat customers for Gamma-Gamma)."""

    code = "clv_fit"
