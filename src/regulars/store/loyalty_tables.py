"""Tables of the loyalty engine: programs, rules, tiers, cards and the append-only ledger."""

from __future__ import annotations
