"""Open311 documents as XML, built with ``xml.etree`` (escaping is its job, not ours)."""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree

# Characters XML 1.0 forbids (a resident's text may hold them): dropped, or the document
# would not parse.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# The element name of one entry of each list, as the GeoReport v2 examples write them.
LIST_ENTRY = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return NOT_XML.sub("", str(value))


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ElementTree.SubElement(element, key), child)
    elif isinstance(value, list):
        entry = LIST_ENTRY.get(element.tag, "item")
        for child in value:
            _fill(ElementTree.SubElement(element, entry), child)
    elif value is not None:
        element.text = _text(value)


def document(root: str, entry: str | None, content: Any) -> bytes:
    """``<root>`` holding ``content``: a list becomes one ``<entry>`` per element."""
    element = ElementTree.Element(root)
    if isinstance(content, list) and entry is not None:
        for child in content:
            _fill(ElementTree.SubElement(element, entry), child)
    else:
        _fill(element, content)
    data: bytes = ElementTree.tostring(element, encoding="utf-8", xml_declaration=True)
    return data
