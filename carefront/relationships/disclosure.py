"""Text written by managers in Django's template language (incident disclosures, follow-up emails), rendered safely.

That text is untrusted, so it is rendered by an engine of its own that knows only a few harmless tags and filters,
loads no library, reads no file and sees only plain strings (never a model it could call methods on):

- `template_text_clean` checks the text at the boundary (the services call it before saving) and refuses any tag
  outside `ALLOWED_TAGS` — `{% load %}`, `{% include %}`, `{% extends %}`, `{% debug %}`… — and any filter outside
  `ALLOWED_FILTERS` with a message naming it;
- `template_text_render` renders checked text with autoescape off (the result is plain text) from a mapping of
  plain strings; `disclosure_template_clean` and `disclosure_render` are the incidents' names for them, with
  `DisclosureContext`.

This module's `register` is the engine's only builtin library, so even text that skipped the check cannot reach
another tag or filter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from django.template import Context, Engine, Library, TemplateSyntaxError, defaultfilters, defaulttags
from django.template.base import Lexer, TokenType
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_TEMPLATE = 10_000

ALLOWED_TAGS = frozenset({"if", "elif", "else", "endif", "firstof", "comment", "endcomment"})
# Filters whose output stays about the size of their input (no `ljust:"1000000000"`).
ALLOWED_FILTERS = frozenset(
    {"capfirst", "default", "default_if_none", "lower", "upper", "title", "truncatechars", "truncatewords"}
)

register = Library()
for _name in ALLOWED_TAGS & set(defaulttags.register.tags):
    register.tags[_name] = defaulttags.register.tags[_name]
for _name in ALLOWED_FILTERS:
    register.filters[_name] = defaultfilters.register.filters[_name]

_ENGINE = Engine(
    libraries={},
    loaders=[("django.template.loaders.locmem.Loader", {})],
    autoescape=False,
    debug=False,
    string_if_invalid="",
)
# An Engine always adds Django's default tags and filters to the builtins it is given; replace them all with ours.
_ENGINE.template_builtins = [register]

# The wording when an incident has no template of its own; translated, so a French contact reads it in French.
DEFAULT_TEMPLATE = gettext_lazy(
    "Dear {{ contact_name }},\n"
    "\n"
    "We made a mistake that affected {{ account_name }}, and we want you to hear it from us.\n"
    "\n"
    "What happened ({{ occurred_at }}): {{ incident_what }}\n"
    "{% if consequence %}What it meant for you: {{ consequence }}\n{% endif %}"
    "\n"
    "We are sorry. {{ advisor_name }} will tell you what we are doing to make it right.\n"
    "\n"
    "{{ advisor_name }}"
)


@dataclass(frozen=True)
class DisclosureContext:
    """Everything a disclosure template may use: plain strings only."""

    account_name: str
    contact_name: str
    advisor_name: str
    incident_title: str
    incident_what: str
    incident_impact: str
    occurred_at: str
    consequence: str


class TemplateTextError(ValueError):
    """The template text uses something it may not, or is not a valid template."""


# The incidents' name for it (their services and tests catch it).
DisclosureTemplateError = TemplateTextError


def template_text_clean(text: str) -> str:
    """The text if it is a template the sandbox may render; else TemplateTextError with a message to show."""
    if len(text) > MAX_TEMPLATE:
        raise TemplateTextError(_("A template holds at most {count} characters.").format(count=MAX_TEMPLATE))
    for token in Lexer(text).tokenize():
        if token.token_type != TokenType.BLOCK:
            continue
        name = token.split_contents()[0] if token.contents.strip() else ""
        if name not in ALLOWED_TAGS:
            raise TemplateTextError(
                _(
                    "“{{% {tag} %}}” is not allowed in this template: it may not load libraries or include files. "
                    "Use only {{{{ … }}}} placeholders and these tags: {allowed}."
                ).format(tag=name[:40], allowed=", ".join(sorted(ALLOWED_TAGS)))
            )
    try:
        _ENGINE.from_string(text)
    except TemplateSyntaxError as error:
        raise TemplateTextError(
            _("This template cannot be used: {problem}").format(problem=str(error)[:300])
        ) from error
    return text


def template_text_render(text: str, values: Mapping[str, str]) -> str:
    """Render a checked template (plain text, nothing escaped) with only these plain strings."""
    template = _ENGINE.from_string(template_text_clean(text))
    return template.render(Context(dict(values), autoescape=False)).strip()


def disclosure_template_clean(text: str) -> str:
    """The text if it is a template a disclosure may use; else DisclosureTemplateError with a message to show."""
    return template_text_clean(text)


def disclosure_render(text: str, context: DisclosureContext) -> str:
    """Render a checked template (plain text, nothing escaped) with only the disclosure's context."""
    return template_text_render(text, asdict(context))
