"""The objective expression syntax of figure specs, parsed without eval():

    parse_objective("channel(5) - 0.5 * channel(9)", layer="blocks.10")
    parse_objective('channel("blocks.3", 5) + 2 * neuron(7, 3, 3)', layer="blocks.10")

Grammar (a small recursive-descent parser, one method per rule):

    expr  := term (("+" | "-") term)*
    term  := unary ("*" unary)*
    unary := "-" unary | atom
    atom  := NUMBER | NAME "(" [arg ("," arg)*] ")" | "(" expr ")"
    arg   := STRING | ["-"] NUMBER | "[" ["-"] NUMBER ("," ["-"] NUMBER)* "]"

Functions: channel([layer,] n), neuron([layer,] n[, x, y]), direction([layer,] [v, ...]),
class_logit(n), deepdream([layer]). The layer may be left out when a default is given.
Errors are `ObjectiveSyntaxError`s naming the column and what was expected.
"""

from __future__ import annotations

import difflib
import re

from . import objectives as O
from .errors import InterpretError

_TOKEN = re.compile(
    r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|(?P<name>[A-Za-z_]\w*)"
    r"|(?P<string>\"[^\"]*\"|'[^']*')|(?P<op>[-+*(),\[\]]))"
)


class ObjectiveSyntaxError(InterpretError):
    """An objective expression that does not parse; `column` is 1-based."""

    def __init__(self, text: str, column: int, expected: str, found: str, hint: str = ""):
        self.text, self.column, self.expected, self.found = text, column, expected, found
        super().__init__(
            f'cannot read objective "{text}" at column {column}: expected {expected}, found {found}', hint)


class _Parser:
    def __init__(self, text: str, layer: str | None):
        self.text, self.layer = text, layer
        self.tokens: list[tuple[str, str, int]] = [("start", "", 0)]  # (kind, text, position)
        self.i = 0
        pos = 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                if text[pos:].strip() == "":
                    break
                start = pos + len(text[pos:]) - len(text[pos:].lstrip())
                self.fail("a number, a function or an operator", start, f"'{text[start]}'")
            kind = m.lastgroup or "end"
            self.tokens.append((kind, m.group(kind), m.start(kind)))
            pos = m.end()
        self.tokens.append(("end", "", len(text)))
        self.i = 1

    # --- token helpers ---
    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.i]

    def take(self) -> tuple[str, str, int]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def fail(self, expected: str, position: int | None = None, found: str | None = None, hint: str = ""):
        kind, text, pos = self.peek()
        if found is None:
            found = "end of input" if kind == "end" else f"'{text}'"
        column = (pos if position is None else position) + 1
        raise ObjectiveSyntaxError(self.text, column, expected, found, hint)

    def expect(self, op: str) -> None:
        if self.peek()[1] != op or self.peek()[0] != "op":
            self.fail(f"'{op}'")
        self.take()

    # --- grammar ---
    def parse(self):
        value, start = self.expr()
        if self.peek()[0] != "end":
            self.fail("an operator (+, -, *) or the end")
        if not isinstance(value, O.Objective):
            self.fail("an objective such as channel(5), not only numbers", start, "a number")
        return value

    def expr(self):
        left, start = self.term()
        while self.peek()[1] in ("+", "-") and self.peek()[0] == "op":
            op = self.take()[1]
            right, rpos = self.term()
            if isinstance(left, O.Objective) != isinstance(right, O.Objective):
                where = rpos if isinstance(left, O.Objective) else start
                self.fail("an objective on both sides of '" + op + "'", where, "a number")
            left = left + right if op == "+" else left - right
        return left, start

    def term(self):
        left, start = self.unary()
        while self.peek()[1] == "*" and self.peek()[0] == "op":
            self.take()
            right, rpos = self.unary()
            if isinstance(left, O.Objective) and isinstance(right, O.Objective):
                self.fail("a number (objectives multiply only by numbers)", rpos, "an objective")
            left = left * right
        return left, start

    def unary(self):
        kind, text, pos = self.peek()
        if kind == "op" and text == "-":
            self.take()
            value, _ = self.unary()
            return -value, pos
        return self.atom(), pos

    def atom(self):
        kind, text, pos = self.peek()
        if kind == "number":
            self.take()
            return float(text)
        if kind == "op" and text == "(":
            self.take()
            value, _ = self.expr()
            self.expect(")")
            return value
        if kind == "name":
            return self.call()
        self.fail("a number, a function or '('")

    def call(self):
        name, pos = self.take()[1:]
        if name not in _FUNCTIONS:
            close = difflib.get_close_matches(name, _FUNCTIONS, n=1)
            hint = f"did you mean '{close[0]}'?" if close else ""
            self.fail("one of " + ", ".join(_FUNCTIONS), pos, f"'{name}'", hint)
        self.expect("(")
        args: list = []
        while not (self.peek()[0] == "op" and self.peek()[1] == ")"):
            if args:
                self.expect(",")
            args.append(self.arg())
        self.take()
        return _FUNCTIONS[name](self, name, pos, args)

    def arg(self):
        kind, text, pos = self.peek()
        if kind == "string":
            self.take()
            return (text[1:-1], pos)
        if kind == "op" and text == "[":
            self.take()
            values = [self.signed_number()]
            while self.peek()[1] == ",":
                self.take()
                values.append(self.signed_number())
            self.expect("]")
            return (values, pos)
        return (self.signed_number(), pos)

    def signed_number(self) -> float:
        sign = 1.0
        if self.peek()[:2] == ("op", "-"):
            self.take()
            sign = -1.0
        if self.peek()[0] != "number":
            self.fail("a number")
        return sign * float(self.take()[1])

    # --- function arguments ---
    def split_layer(self, name: str, pos: int, args: list) -> tuple[str, list]:
        if args and isinstance(args[0][0], str):
            return args[0][0], args[1:]
        if self.layer is None:
            self.fail(f'a layer name first, as {name}("blocks.10", ...), or a default layer', pos, f"'{name}'")
        return self.layer, args

    def whole(self, arg, what: str) -> int:
        value, pos = arg
        if not isinstance(value, float) or not value.is_integer() or value < 0:
            self.fail(what, pos, repr(value) if not isinstance(value, float) else f"'{value:g}'")
        return int(value)

    def arity(self, name: str, pos: int, args: list, allowed: tuple[int, ...], usage: str) -> None:
        if len(args) not in allowed:
            self.fail(usage, pos, f"{len(args)} argument{'s' if len(args) != 1 else ''} to {name}")


def _channel(p: _Parser, name, pos, args):
    layer, args = p.split_layer(name, pos, args)
    p.arity(name, pos, args, (1,), "channel(n) or channel(layer, n)")
    return O.channel(layer, p.whole(args[0], "a channel number"))


def _neuron(p: _Parser, name, pos, args):
    layer, args = p.split_layer(name, pos, args)
    p.arity(name, pos, args, (1, 3), "neuron(n), neuron(n, x, y) or with a layer first")
    n = p.whole(args[0], "a channel number")
    if len(args) == 1:
        return O.neuron(layer, n)
    return O.neuron(layer, n, p.whole(args[1], "a position x"), p.whole(args[2], "a position y"))


def _direction(p: _Parser, name, pos, args):
    layer, args = p.split_layer(name, pos, args)
    p.arity(name, pos, args, (1,), "direction([v, ...]) or direction(layer, [v, ...])")
    if not isinstance(args[0][0], list):
        p.fail("a list of numbers [v, ...]", args[0][1], f"'{args[0][0]}'")
    return O.direction(layer, args[0][0])


def _class_logit(p: _Parser, name, pos, args):
    p.arity(name, pos, args, (1,), "class_logit(n)")
    return O.class_logit(p.whole(args[0], "a class number"))


def _deepdream(p: _Parser, name, pos, args):
    layer, args = p.split_layer(name, pos, args)
    p.arity(name, pos, args, (0,), "deepdream() or deepdream(layer)")
    return O.deepdream(layer)


_FUNCTIONS = {
    "channel": _channel,
    "neuron": _neuron,
    "direction": _direction,
    "class_logit": _class_logit,
    "deepdream": _deepdream,
}


def parse_objective(text: str, layer: str | None = None) -> O.Objective:
    """The objective that `text` describes; `layer` is the default for functions that omit it."""
    return _Parser(text, layer).parse()
