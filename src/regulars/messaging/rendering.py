"""Render a message of one kind in the customer's language: subject, plain text and HTML.

A kind's template (`templates/<kind>.j2`) holds two blocks, `subject` and `body` (paragraphs
separated by blank lines); one layout per format adds the greeting, the sign-off and, for
marketing, the visible opt-out link. Texts go through gettext catalogs compiled in memory from
`locales/<lang>/LC_MESSAGES/messages.po` at first use (no .mo files to keep in step). A business
may replace a kind's text with its own source in the same two-block form; `check_template`
refuses, when it is saved, one that names a field the kind does not provide.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from regulars.domain.addressing import Addressee, Formality, address, formality_for
from regulars.domain.errors import ValidationError
from regulars.domain.messages import SPECS, MessageKind
from regulars.domain.names import primary_language
from regulars.messaging.catalogs import (
    SOURCE_LANGUAGE,
    TEMPLATES,
    available_languages,
    resolve_language,
    translations,
)
from regulars.messaging.formatting import DateWidth, Formatter
from regulars.messaging.samples import sample_context

# Names the renderer itself puts in every template's context.
_PROVIDED = frozenset({"_", "gettext", "ngettext", "link", "marketing", "language", "_fmt"})
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_SPACES = re.compile(r"\s+")


class TemplateFieldError(ValidationError):
    """A template refers to a field its kind does not provide, or a needed field is missing."""

    code = "template_field"


class TemplateSyntaxError(ValidationError):
    code = "template_syntax"


@dataclass(frozen=True, slots=True)
class Voice:
    """How a business speaks: its default language, register per language, Thai era."""

    default_language: str = SOURCE_LANGUAGE
    formality: Mapping[str, Formality] = field(default_factory=dict)
    buddhist_era: bool = False


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    kind: MessageKind
    language: str  # the language actually used (after fallback)
    subject: str
    text: str
    html: str


# --- environments ---------------------------------------------------------------------------


@jinja2.pass_context
def _date_filter(ctx: jinja2.runtime.Context, value: Any, width: DateWidth = "long") -> str:
    fmt: Formatter = ctx["_fmt"]
    return fmt.date(value, width)


@jinja2.pass_context
def _money_filter(ctx: jinja2.runtime.Context, value: Any, currency: str | None = None) -> str:
    fmt: Formatter = ctx["_fmt"]
    return fmt.money(value, currency)


@jinja2.pass_context
def _number_filter(ctx: jinja2.runtime.Context, value: Any) -> str:
    fmt: Formatter = ctx["_fmt"]
    return fmt.number(value)


_SAFE_URL = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)


def _text_link(url: str, label: str) -> str:
    return f"{label}: {url}"


def _html_link(url: str, label: str) -> Markup:
    """A link; anything but http(s)/mailto (e.g. `javascript:`) is shown, not linked."""
    if not _SAFE_URL.match(str(url)):
        return Markup("{}: {}").format(label, url)
    return Markup('<a href="{}" style="color:#0b5cad">{}</a>').format(url, label)


@cache
def environment(html: bool) -> jinja2.Environment:
    """One sandboxed environment per format: HTML escapes every value, text none.

    Sandboxed because businesses write their own texts: a template must not reach Python
    internals (`''.__class__…`).

    Block tags keep their newlines: in a body, a blank line starts a paragraph and anything
    else (including a false `{% if %}`) stays inside one.
    """
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters.update(date=_date_filter, money=_money_filter, number=_number_filter)
    env.globals["link"] = _html_link if html else _text_link
    return env


def _gettext_callables(language: str, formality: Formality) -> dict[str, Callable[..., Any]]:
    """`_`/`ngettext` for one language; informal texts live under msgctxt "informal"."""
    tr = translations(language)

    def lookup(msgid: str) -> str:
        if tr is None:
            return msgid
        if formality == Formality.INFORMAL:
            informal = tr.pgettext("informal", msgid)
            if informal != msgid:
                return str(informal)
        return str(tr.gettext(msgid))

    def nlookup(singular: str, plural: str, n: int) -> str:
        if tr is None:
            return singular if n == 1 else plural
        if formality == Formality.INFORMAL:
            informal = tr.npgettext("informal", singular, plural, n)
            if informal not in (singular, plural):
                return str(informal)
        return str(tr.ngettext(singular, plural, n))

    @jinja2.pass_context
    def gettext(ctx: jinja2.runtime.Context, msgid: str, **values: Any) -> str:
        text: str = lookup(msgid)
        if ctx.eval_ctx.autoescape:
            text = Markup(text)
        return text % values if values else text

    @jinja2.pass_context
    def ngettext(
        ctx: jinja2.runtime.Context, singular: str, plural: str, n: int, **values: Any
    ) -> str:
        values.setdefault("num", n)
        text: str = nlookup(singular, plural, n)
        if ctx.eval_ctx.autoescape:
            text = Markup(text)
        return text % values

    return {"_": gettext, "gettext": gettext, "ngettext": ngettext}


# --- checking -------------------------------------------------------------------------------


def _parse(source: str, env: jinja2.Environment) -> jinja2.nodes.Template:
    try:
        return env.parse(source)
    except jinja2.TemplateSyntaxError as e:
        raise TemplateSyntaxError(
            f"template syntax error on line {e.lineno}: {e.message}", field="template"
        ) from None


def check_template(source: str, kind: MessageKind) -> None:
    """Refuse a template (shipped or a business's own text) that cannot render for `kind`.

    It must define the `subject` and `body` blocks and may only use the kind's fields. It is
    also rendered with sample values, once with every field and once with only the needed ones,
    so a misspelt attribute or an optional field used without `{% if x is defined %}` fails now,
    not at send time.
    """
    env = environment(False)
    ast = _parse(source, env)
    blocks = {b.name for b in ast.find_all(jinja2.nodes.Block)}
    for needed in ("subject", "body"):
        if needed not in blocks:
            raise TemplateFieldError(
                f"the template needs a {{% block {needed} %}}", field="template"
            )
    unknown = sorted(meta.find_undeclared_variables(ast) - SPECS[kind].fields() - _PROVIDED)
    if unknown:
        allowed = ", ".join(sorted(SPECS[kind].fields()))
        raise TemplateFieldError(
            f"the template uses {', '.join(unknown)}, which a {kind} message does not "
            f"provide (available: {allowed})",
            field=unknown[0],
        )
    for lang in available_languages():
        _trial(kind, lang, sample_context(kind), source, "")
        _trial(
            kind,
            lang,
            sample_context(kind, optional=False),
            source,
            " (an optional field needs {% if field is defined %} around it)",
        )


def _trial(kind: MessageKind, lang: str, ctx: dict[str, Any], source: str, hint: str) -> None:
    """Render once; any failure becomes a 4xx-mappable error with the reason."""
    try:
        render(kind, lang, ctx, source=source)
    except jinja2.UndefinedError as e:
        raise TemplateFieldError(f"the template cannot render: {e.message}{hint}") from None
    except jinja2.TemplateError as e:  # includes the sandbox refusing unsafe access
        raise TemplateSyntaxError(f"the template cannot render: {e}") from None
    except (TypeError, ValueError, KeyError, AttributeError) as e:
        raise TemplateFieldError(f"the template cannot render: {e}") from None


# --- rendering ------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _compiled(html: bool, source: str) -> jinja2.Template:
    """A business's own text, compiled once per process rather than once per message."""
    return environment(html).from_string(source)


def _paragraphs(body: str, html: bool) -> list[str]:
    parts = [_SPACES.sub(" ", p).strip() for p in _PARAGRAPH_BREAK.split(body)]
    return [Markup(p) if html else p for p in parts if p]


def _blocks(template: jinja2.Template, context: dict[str, Any]) -> Iterator[tuple[str, str]]:
    ctx = template.new_context(context)
    for name in ("subject", "body"):
        yield name, "".join(template.blocks[name](ctx))


def render(
    kind: MessageKind,
    language: str | None,
    context: Mapping[str, Any],
    *,
    voice: Voice | None = None,
    source: str | None = None,
) -> RenderedMessage:
    """Subject, text and HTML of a `kind` message in the customer's language.

    `context` holds `customer` (an Addressee), `business` (its name), the kind's fields (see
    `regulars.domain.messages.SPECS`) and, for marketing, `unsubscribe_url`. `source` replaces
    the shipped template with a business's own text (check it with `check_template` first).
    """
    voice = voice or Voice()
    spec = SPECS[kind]
    missing = sorted(f for f in spec.needed() if context.get(f) in (None, ""))
    if missing:
        raise TemplateFieldError(f"a {kind} message needs {', '.join(missing)}", field=missing[0])
    customer = context["customer"]
    if not isinstance(customer, Addressee):
        raise TemplateFieldError("customer must be an Addressee", field="customer")
    lang = resolve_language(language, voice.default_language)
    formality = formality_for(lang, voice.formality.get(lang))
    # A regional tag (es-MX, vi-VN) keeps its own date and number conventions.
    locale = language if language and primary_language(language) == lang else lang
    values = {
        **context,
        "address": address(customer, lang, formality),
        "marketing": kind.marketing,
        "language": lang,
        "_fmt": Formatter(locale, buddhist_era=voice.buddhist_era),
        **_gettext_callables(lang, formality),
    }
    out: dict[str, str] = {}
    for html in (False, True):
        env = environment(html)
        template = _compiled(html, source) if source is not None else env.get_template(f"{kind}.j2")
        parts = dict(_blocks(template, values))
        subject = _SPACES.sub(" ", parts["subject"]).strip()
        layout = env.get_template("_layout.html" if html else "_layout.txt")
        paragraphs = _paragraphs(parts["body"], html)
        rendered = layout.render(values, subject=subject, paragraphs=paragraphs)
        out["html" if html else "text"] = rendered.strip() + "\n"
        if not html:
            out["subject"] = subject
    if not out["subject"]:
        raise TemplateFieldError(f"the {kind} message has an empty subject", field="subject")
    return RenderedMessage(kind, lang, out["subject"], out["text"], out["html"])


def preview(
    kind: MessageKind,
    language: str | None,
    context: Mapping[str, Any],
    *,
    voice: Voice | None = None,
    source: str | None = None,
) -> RenderedMessage:
    """What the customer would receive; the same as `render`, named for the preview screen."""
    return render(kind, language, context, voice=voice, source=source)
