"""rollready: readiness scanner for Windows Server failover cluster rolling upgrades."""
import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
