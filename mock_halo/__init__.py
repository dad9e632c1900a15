"""mock-halo: an offline emulator of Halo Connect's Halo Cloud API."""

__version__ = "0.1.0"

# The Halo Cloud API version whose behaviour this release follows.
HALO_API_VERSION = "26.619.10213"
