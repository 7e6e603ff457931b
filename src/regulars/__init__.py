"""regulars: know, reward, keep and win back a business's regular customers."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("regulars")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"
