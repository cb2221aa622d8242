"""The stream side: the contract in code, intake and dead-letter, fusion, and the Faust worker.

Import the contract from ``streams.contract``; the worker (``streams.app``) is only for
the ``goldentime worker`` entry point.
"""

from streams.contract import ContractError, decode, encode
from streams.topics import Topics

__all__ = ["ContractError", "Topics", "decode", "encode"]
