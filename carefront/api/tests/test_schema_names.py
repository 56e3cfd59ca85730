"""Every API schema has its own name: django-ninja names OpenAPI components by class name, so two schemas of the
same name (in two apps) would silently share one component and document one endpoint's response as another's."""

from __future__ import annotations

from collections import defaultdict

from ninja import Schema

from carefront.api.api import api


def _subclasses(cls: type) -> list[type]:
    found: list[type] = []
    subclasses: list[type] = cls.__subclasses__()
    for sub in subclasses:
        found += [sub, *_subclasses(sub)]
    return found


def test_no_two_api_schemas_share_a_name() -> None:
    api.get_openapi_schema()  # every router is mounted and every schema imported
    modules: defaultdict[str, set[str]] = defaultdict(set)
    for schema in _subclasses(Schema):
        if schema.__module__.startswith("carefront."):
            modules[schema.__name__].add(schema.__module__)
    assert {name: sorted(where) for name, where in modules.items() if len(where) > 1} == {}
