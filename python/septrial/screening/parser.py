"""Tokeniser and recursive-descent parser of the rule language (grammar in
:mod:`septrial.screening.expr`): text in, a tiny syntax tree out. Nothing is evaluated here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_MAX_DEPTH = 60  # nesting levels in one rule


# ------------------------------------------------------------------------------------------------
# Tokens and syntax tree
# ------------------------------------------------------------------------------------------------


class _RuleError(Exception):
    """Internal: a problem at a column of the rule text (1-based)."""

    def __init__(self, message: str, col: int) -> None:
        super().__init__(message)
        self.message = message
        self.col = col


@dataclass(frozen=True)
class _Tok:
    kind: str  # "num" | "str" | "name" | "op" | "end"
    value: Any
    col: int
    text: str


_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPS = ("**", "<=", ">=", "==", "!=", "<", ">", "+", "-", "*", "/", "(", ")", "[", "]", ",")
_KEYWORDS = {"and", "or", "not", "in"}
_BOOLS = {"true": True, "True": True, "false": False, "False": False}
_HINTS = {
    "&&": "use 'and'",
    "||": "use 'or'",
    "&": "use 'and'",
    "|": "use 'or'",
    "!": "use 'not'",
    "=": "use '==' to compare",
    "~": "use 'not'",
    "%": "the operator '%' is not supported",
    "//": "the operator '//' is not supported; use '/'",
}


def _tokenise(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        col = i + 1
        if ch.isspace():
            i += 1
            continue
        m = _NUMBER.match(text, i)
        if m and (ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit())):
            toks.append(_Tok("num", float(m.group()), col, m.group()))
            i = m.end()
            if i < n and (text[i].isalpha() or text[i] == "_"):
                raise _RuleError(
                    f"unexpected '{text[i]}' right after the number '{m.group()}'", i + 1
                )
            continue
        if ch.isalpha() or ch == "_":
            m = _NAME.match(text, i)
            assert m is not None
            word = m.group()
            if word in _BOOLS:
                toks.append(_Tok("bool", _BOOLS[word], col, word))
            elif word in _KEYWORDS:
                toks.append(_Tok("op", word, col, word))
            else:
                toks.append(_Tok("name", word, col, word))
            i = m.end()
            continue
        if ch in "'\"":
            end = text.find(ch, i + 1)
            if end < 0:
                raise _RuleError(f"unterminated string starting with {ch}", col)
            body = text[i + 1 : end]
            toks.append(_Tok("str", body, col, text[i : end + 1]))
            i = end + 1
            continue
        for bad, hint in _HINTS.items():
            if text.startswith(bad, i) and not any(
                text.startswith(op, i) and len(op) >= len(bad) for op in _OPS
            ):
                raise _RuleError(f"unexpected '{bad}': {hint}", col)
        for op in _OPS:
            if text.startswith(op, i):
                toks.append(_Tok("op", op, col, op))
                i += len(op)
                break
        else:
            if ch == ".":
                raise _RuleError(
                    "unexpected '.': attribute access is not allowed; name covariates directly",
                    col,
                )
            ascii_op = {"≥": ">=", "≤": "<=", "≠": "!=", "×": "*", "÷": "/"}.get(ch)
            if ascii_op:
                raise _RuleError(f"unexpected character {ch!r}: write '{ascii_op}'", col)
            raise _RuleError(f"unexpected character {ch!r}", col)
    toks.append(_Tok("end", None, n + 1, "end of rule"))
    return toks


@dataclass(frozen=True)
class _Const:
    value: float | str | bool
    col: int


@dataclass(frozen=True)
class _Var:
    name: str
    col: int


@dataclass(frozen=True)
class _List:
    items: tuple[_Const, ...]
    col: int


@dataclass(frozen=True)
class _Unary:
    op: str  # "-" | "+" | "not"
    operand: Any
    col: int


@dataclass(frozen=True)
class _Bin:
    op: str  # + - * / **
    left: Any
    right: Any
    col: int


@dataclass(frozen=True)
class _Cmp:
    ops: tuple[str, ...]
    operands: tuple[Any, ...]
    cols: tuple[int, ...]


@dataclass(frozen=True)
class _BoolOp:
    op: str  # "and" | "or"
    values: tuple[Any, ...]
    col: int


_CMP_OPS = {"<", "<=", ">", ">=", "==", "!="}


class _Parser:
    def __init__(self, toks: list[_Tok]) -> None:
        self.toks = toks
        self.i = 0
        self.depth = 0

    def peek(self, k: int = 0) -> _Tok:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i = min(self.i + 1, len(self.toks) - 1)
        return tok

    def is_op(self, value: str, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok.kind == "op" and tok.value == value

    def unexpected(self, tok: _Tok, expected: str) -> _RuleError:
        if tok.kind == "end":
            prev = self.toks[self.i - 1].text if self.i > 0 else ""
            after = f" after '{prev}'" if prev else ""
            return _RuleError(f"unexpected end of rule{after}: expected {expected}", tok.col)
        return _RuleError(f"unexpected token '{tok.text}': expected {expected}", tok.col)

    def parse(self) -> Any:
        node = self.or_()
        tok = self.peek()
        if tok.kind != "end":
            if tok.kind == "op" and tok.value == ")":
                raise _RuleError("unexpected token ')': no matching '('", tok.col)
            raise self.unexpected(tok, "'and', 'or', a comparison or the end of the rule")
        return node

    def or_(self) -> Any:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise _RuleError(
                f"rule is nested too deeply (more than {_MAX_DEPTH} levels)", self.peek().col
            )
        col = self.peek().col
        values = [self.and_()]
        while self.is_op("or"):
            self.take()
            values.append(self.and_())
        self.depth -= 1
        return values[0] if len(values) == 1 else _BoolOp("or", tuple(values), col)

    def and_(self) -> Any:
        col = self.peek().col
        values = [self.not_()]
        while self.is_op("and"):
            self.take()
            values.append(self.not_())
        return values[0] if len(values) == 1 else _BoolOp("and", tuple(values), col)

    def not_(self) -> Any:
        if self.is_op("not"):
            tok = self.take()
            self.depth += 1
            if self.depth > _MAX_DEPTH:
                raise _RuleError("rule is nested too deeply", tok.col)
            node = _Unary("not", self.not_(), tok.col)
            self.depth -= 1
            return node
        return self.compare()

    def compare(self) -> Any:
        operands = [self.sum_()]
        ops: list[str] = []
        cols: list[int] = []
        while True:
            tok = self.peek()
            if tok.kind == "op" and tok.value in _CMP_OPS:
                op = tok.value
                self.take()
            elif self.is_op("in"):
                op = "in"
                self.take()
            elif self.is_op("not") and self.is_op("in", 1):
                op = "not in"
                self.take()
                self.take()
            else:
                break
            ops.append(op)
            cols.append(tok.col)
            operands.append(self.sum_())
        if not ops:
            return operands[0]
        if len(ops) > 1 and ("in" in ops or "not in" in ops):
            k = next(j for j, op in enumerate(ops) if op in ("in", "not in"))
            raise _RuleError(f"'{ops[k]}' cannot be chained with other comparisons", cols[k])
        return _Cmp(tuple(ops), tuple(operands), tuple(cols))

    def sum_(self) -> Any:
        node = self.term()
        while self.is_op("+") or self.is_op("-"):
            tok = self.take()
            node = _Bin(tok.value, node, self.term(), tok.col)
        return node

    def term(self) -> Any:
        node = self.unary()
        while self.is_op("*") or self.is_op("/"):
            tok = self.take()
            node = _Bin(tok.value, node, self.unary(), tok.col)
        return node

    def unary(self) -> Any:
        if self.is_op("-") or self.is_op("+"):
            tok = self.take()
            self.depth += 1
            if self.depth > _MAX_DEPTH:
                raise _RuleError("rule is nested too deeply", tok.col)
            node = _Unary(tok.value, self.unary(), tok.col)
            self.depth -= 1
            return node
        return self.power()

    def power(self) -> Any:
        base = self.atom()
        if self.is_op("**"):
            tok = self.take()
            return _Bin("**", base, self.unary(), tok.col)
        return base

    def atom(self) -> Any:
        tok = self.take()
        if tok.kind in ("num", "str", "bool"):
            node: Any = _Const(tok.value, tok.col)
        elif tok.kind == "name":
            node = _Var(tok.value, tok.col)
        elif tok.kind == "op" and tok.value == "(":
            node = self.or_()
            close = self.peek()
            if not (close.kind == "op" and close.value == ")"):
                if close.kind == "end":
                    raise _RuleError("'(' is never closed: missing ')'", tok.col)
                raise self.unexpected(close, "')'")
            self.take()
        elif tok.kind == "op" and tok.value == "[":
            node = self.list_(tok)
        else:
            raise self.unexpected(tok, "a number, a 'string', a covariate name or '('")
        nxt = self.peek()
        if nxt.kind == "op" and nxt.value in ("(", "["):
            what = "function calls" if nxt.value == "(" else "indexing"
            raise _RuleError(f"unexpected token '{nxt.value}': {what} are not allowed", nxt.col)
        if nxt.kind in ("num", "str", "name", "bool"):
            raise _RuleError(
                f"unexpected token '{nxt.text}': expected an operator between two values", nxt.col
            )
        return node

    def list_(self, open_tok: _Tok) -> _List:
        items: list[_Const] = []
        while True:
            tok = self.peek()
            if tok.kind == "op" and tok.value == "]" and not items:
                self.take()
                break
            sign = 1.0
            if tok.kind == "op" and tok.value in ("-", "+"):
                sign = -1.0 if tok.value == "-" else 1.0
                self.take()
                tok = self.peek()
                if tok.kind != "num":
                    raise self.unexpected(tok, "a number after the sign")
            if tok.kind not in ("num", "str", "bool"):
                if tok.kind == "end":
                    raise _RuleError("'[' is never closed: missing ']'", open_tok.col)
                raise self.unexpected(tok, "a literal number or 'string' in the list")
            self.take()
            value = sign * tok.value if tok.kind == "num" else tok.value
            items.append(_Const(value, tok.col))
            sep = self.take()
            if sep.kind == "op" and sep.value == "]":
                break
            if not (sep.kind == "op" and sep.value == ","):
                if sep.kind == "end":
                    raise _RuleError("'[' is never closed: missing ']'", open_tok.col)
                raise self.unexpected(sep, "',' or ']'")
        return _List(tuple(items), open_tok.col)
