"""Records a permissive or dishonest node would sign: the issuing rules skipped."""

from __future__ import annotations

from accord.adapters.cap_xml import read_cap_xml
from accord.bootstrap import Node
from accord.domain.alerts import cap_json
from accord.domain.sharing import Scope, Tlp
from accord.services.records import RecordWriter


def write_unchecked(node: Node, author: str, document: bytes) -> None:
    """Sign and log a CAP message as ``author`` (TLP:CLEAR) without the issuing rules,
    projecting nothing: what its peers replicate, or what a rebuild reads back."""
    (parsed,) = read_cap_xml(document)
    write_unchecked_json(node, author, cap_json.alert_to_json(parsed.alert), parsed.xml)


def write_unchecked_json(
    node: Node, author: str, body: dict[str, object], original: bytes | None = None
) -> None:
    """The same for a CAP JSON body that no input path would accept."""
    writer = RecordWriter(node.keystore, node.clock)
    with node.alerts._uow() as uow:
        draft = writer.draft(
            kind="cap.alert",
            author=author,
            scope=Scope(Tlp.CLEAR),
            body=body,
            content_type="application/cap+xml" if original else "application/json",
            original=original,
        )
        writer.write(uow, [draft])
        node.log.sign_checkpoint(uow)
