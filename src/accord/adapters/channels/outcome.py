"""What one delivery attempt came to, in a form the delivery worker can act on without
knowing which channel carried it.

The type itself belongs to the delivery port (``accord.services.delivery_ports``), since
the worker decides retries, dead letters and disabled endpoints from it; the channels
return that very type so the dispatcher needs no translation. Its fields: ``delivered``;
``status`` (HTTP status or SMTP reply code, when the receiver answered); ``error`` (empty
when delivered, else a short message for an operator); ``gone`` (HTTP 410: disable the
endpoint); ``permanent`` (retrying cannot help); ``duration_ms``.
"""

from __future__ import annotations

from accord.services.delivery_ports import SendOutcome

__all__ = ["SendOutcome"]
