"""Import of existing data: customers and orders from CSV or .xlsx, validated and idempotent."""

from regulars.services.importing.customers import import_customers
from regulars.services.importing.orders import import_orders
from regulars.services.importing.reading import UnusableFile
from regulars.services.importing.runner import ImportResult, check_file, rejects_path_for
from regulars.services.importing.values import RowError

__all__ = [
    "ImportResult",
    "RowError",
    "UnusableFile",
    "check_file",
    "import_customers",
    "import_orders",
    "rejects_path_for",
]
