"""Tables of the HTTP API: hashed API keys per business (full roles come with the API issue)."""

from __future__ import annotations
