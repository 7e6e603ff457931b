"""Privacy use cases: a customer's own data as JSON, erasure that keeps the books, retention.

A customer may ask for everything we hold about them (`export_customer`) or for it to be
erased (`erase_customer`). Erasure removes or irreversibly pseudonymises personal data, while
orders, the loyalty ledger and every aggregate figure stay exactly as they were. Customers with
no activity for the retention period are erased by `erase_inactive`. All three are audited.
"""

from regulars.services.privacy.erasure import ErasureResult, erase_customer
from regulars.services.privacy.export import EXPORT_FORMAT, export_customer
from regulars.services.privacy.retention import InactiveCustomer, erase_inactive, retention_cutoff

__all__ = [
    "EXPORT_FORMAT",
    "ErasureResult",
    "InactiveCustomer",
    "erase_customer",
    "erase_inactive",
    "export_customer",
    "retention_cutoff",
]
