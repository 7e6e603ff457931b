"""A realistic demo business, generated from a seed and bulk-loaded (`regulars demo`).

Sits beside the services: it may use the domain and the store, never an entry point.
"""

from regulars.demo.build import (
    DEFAULT_CUSTOMERS,
    DEFAULT_SEED,
    MIN_CUSTOMERS,
    DemoRefused,
    build_demo,
)
from regulars.demo.summary import DemoSummary, KeyAccountShare

__all__ = [
    "DEFAULT_CUSTOMERS",
    "DEFAULT_SEED",
    "MIN_CUSTOMERS",
    "DemoRefused",
    "DemoSummary",
    "KeyAccountShare",
    "build_demo",
]
