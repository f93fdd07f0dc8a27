"""The run ledger: every run kept in runs.sqlite under the data home, checkpoints beside it."""

from .fingerprint import fingerprint
from .home import ENV, data_home
from .records import RunInfo
from .schema import SCHEMA_VERSION, SERIES, STATUSES, LedgerError
from .store import Ledger

__all__ = [
    "ENV",
    "SCHEMA_VERSION",
    "SERIES",
    "STATUSES",
    "Ledger",
    "LedgerError",
    "RunInfo",
    "data_home",
    "fingerprint",
]
