"""What SBML core has no element for (a parameter's variability and range, the unit text, which
quantity plays which part, the doses, the roles) travels in an annotation in septrial's namespace,
so that a septrial export imports back as the same specification. Other tools ignore it; an SBML
file without it imports with defaults (docs/sbml.md)."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from septrial.sbml._libsbml import libsbml

__all__ = ["NS", "read_info", "read_items", "write_info", "write_items"]

NS = "https://septrial.readthedocs.io/sbml/1"
_PREFIX = "septrial"


def _attrs(values: dict[str, object]) -> str:
    return "".join(f" {k}={quoteattr(str(v))}" for k, v in values.items() if v not in (None, ""))


def write_info(element: libsbml.SBase, **values: object) -> None:
    """One ``<septrial:info .../>`` element with ``values`` as attributes."""
    text = f'<{_PREFIX}:info xmlns:{_PREFIX}="{NS}"{_attrs(values)}/>'
    if element.appendAnnotation(text) != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise AssertionError(f"annotation refused: {text}")


def write_items(element: libsbml.SBase, items: list[tuple[str, dict[str, object]]]) -> None:
    """``<septrial:model>`` holding one child element per ``(tag, attributes)``."""
    body = "".join(f"<{_PREFIX}:{tag}{_attrs(a)}/>" for tag, a in items)
    text = f'<{_PREFIX}:model xmlns:{_PREFIX}="{NS}">{body}</{_PREFIX}:model>'
    if element.appendAnnotation(text) != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise AssertionError(f"annotation refused: {text}")


def _ours(element: libsbml.SBase, name: str) -> libsbml.XMLNode | None:
    top = element.getAnnotation()
    if top is None:
        return None
    for i in range(top.getNumChildren()):
        child = top.getChild(i)
        if child.getName() == name and child.getURI() == NS:
            return child
    return None


def _attributes(node: libsbml.XMLNode) -> dict[str, str]:
    return {node.getAttrName(i): node.getAttrValue(i) for i in range(node.getAttributesLength())}


def read_info(element: libsbml.SBase) -> dict[str, str]:
    """The attributes of the element's ``<septrial:info>`` ({} without one)."""
    node = _ours(element, "info")
    return {} if node is None else _attributes(node)


def read_items(element: libsbml.SBase) -> list[tuple[str, dict[str, str]]] | None:
    """The children of the model's ``<septrial:model>``, or None without one."""
    node = _ours(element, "model")
    if node is None:
        return None
    return [
        (node.getChild(i).getName(), _attributes(node.getChild(i)))
        for i in range(node.getNumChildren())
        if node.getChild(i).isElement()
    ]
