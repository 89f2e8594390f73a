"""CAP 1.2 over XML: safe parsing, the XML codec, XML-DSig checks and the reader on top.

Other code enters through ``read_cap_xml`` / ``read_cap_json`` and gets ``CapDocument`` values;
the lower layers are exported for the feed reader, the API and the benchmarks.
"""

from accord.adapters.cap_xml.codec import alert_to_xml, element_to_alert
from accord.adapters.cap_xml.parsing import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_DEPTH,
    parse_xml,
    unwrap_alerts,
)
from accord.adapters.cap_xml.reader import (
    CapDocument,
    read_cap_json,
    read_cap_xml,
    read_cap_xml_items,
)
from accord.adapters.cap_xml.signature import UNSIGNED, SignatureCheck, check_signature

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "UNSIGNED",
    "CapDocument",
    "SignatureCheck",
    "alert_to_xml",
    "check_signature",
    "element_to_alert",
    "parse_xml",
    "read_cap_json",
    "read_cap_xml",
    "read_cap_xml_items",
    "unwrap_alerts",
]
