"""Generate the benchmark site fast: one page through ``cms.api``, the rest cloned in bulk.

The site has ``size`` pages in a two-level tree: the template page (a root), a few root
"sections" and about 110 children per section. Every page has one English PageContent, one
``content`` placeholder and ``PLUGINS_PER_PAGE`` text plugins, except the two *probe* pages
(the last children), which have ``PROBE_PLUGINS`` plugins so that the cost of "Edit" can be
related to the plugin count.

Rows are cloned from the template page with ``executemany`` INSERTs (explicit primary keys,
sequences reset afterwards), so no signal runs; the caller adds the versioning rows through
:func:`clone_rows` and runs its own publish step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models, transaction

PLUGINS_PER_PAGE = 10
PROBE_PLUGINS = (1, 30)
CHILDREN_PER_SECTION = 110
LANGUAGE = "en"
BATCH = 2000


@dataclass
class PageSpec:
    """Where one cloned page goes in the tree and what it is called."""

    index: int
    pk: int
    parent_pk: int | None
    tree_path: str
    depth: int
    slug: str
    url_path: str
    plugins: int = PLUGINS_PER_PAGE
    numchild: int = 0


@dataclass
class Layout:
    """The pages of the site (without the template page) and the ones the benchmark uses."""

    pages: list[PageSpec]
    sections: list[PageSpec]
    probes: dict[int, PageSpec] = field(default_factory=dict)

    def children_of(self, section: PageSpec) -> list[PageSpec]:
        return [p for p in self.pages if p.parent_pk == section.pk]

    def middle_child(self) -> PageSpec:
        """The page whose render is measured: a child in the middle of the site."""
        children = [p for p in self.pages if p.depth == 2 and p.plugins == PLUGINS_PER_PAGE]
        return children[len(children) // 2]

    def edit_targets(self, count: int, *, skip: Iterable[int] = ()) -> list[PageSpec]:
        """``count`` ordinary children spread over the site, none of ``skip`` (page pks)."""
        skipped = set(skip)
        children = [
            p for p in self.pages if p.depth == 2 and p.plugins == PLUGINS_PER_PAGE and p.pk not in skipped
        ]
        step = max(1, len(children) // (count + 1))
        return children[step::step][:count]


def _tree_step(number: int) -> str:
    from cms.models import Page

    key = Page._int2str(number)
    return Page.alphabet[0] * (Page.steplen - len(key)) + key


def plan_layout(size: int, *, first_root: int, first_pk: int) -> Layout:
    """Place ``size - 1`` pages: root sections (after ``first_root`` roots) and their children."""
    count = size - 1
    section_count = max(1, count // (CHILDREN_PER_SECTION + 1))
    sections = []
    for number in range(section_count):
        sections.append(
            PageSpec(
                index=number,
                pk=first_pk + number,
                parent_pk=None,
                tree_path=_tree_step(first_root + 1 + number),
                depth=1,
                slug=f"section-{number + 1}",
                url_path=f"section-{number + 1}",
            )
        )
    pages = list(sections)
    for offset in range(count - section_count):
        section = sections[offset % section_count]
        section.numchild += 1
        index = section_count + offset
        slug = f"page-{index + 1}"
        pages.append(
            PageSpec(
                index=index,
                pk=first_pk + index,
                parent_pk=section.pk,
                tree_path=section.tree_path + _tree_step(section.numchild),
                depth=2,
                slug=slug,
                url_path=f"{section.url_path}/{slug}",
            )
        )
    layout = Layout(pages=pages, sections=sections)
    for spec, plugins in zip(reversed(pages), PROBE_PLUGINS, strict=False):
        if spec.depth == 2:
            spec.plugins = plugins
            layout.probes[plugins] = spec
    return layout


# -- raw row cloning -------------------------------------------------------------------


def _fields(model: type[models.Model]) -> list[models.Field]:
    return list(model._meta.local_concrete_fields)


def clone_rows(model: type[models.Model], template: models.Model, overrides: Iterator[dict[str, Any]]) -> int:
    """INSERT one row per ``overrides`` dict: ``template``'s values with the overrides applied.

    Overrides are keyed by attname and must include the primary key.
    """
    fields = _fields(model)
    base = {f.attname: getattr(template, f.attname) for f in fields}
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    total = 0
    batch: list[list[Any]] = []
    with connection.cursor() as cursor:
        for override in overrides:
            values = {**base, **override}
            batch.append([f.get_db_prep_save(values[f.attname], connection) for f in fields])
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                total += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            total += len(batch)
    return total


def next_pk(model: type[models.Model]) -> int:
    """The first primary key above every existing row of ``model``."""
    top = model._base_manager.aggregate(top=models.Max("pk"))["top"]
    return (top or 0) + 1


def reset_sequences(model_list: Iterable[type[models.Model]]) -> None:
    """Move the PostgreSQL sequences past the explicitly inserted primary keys."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_list))
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


# -- the template page -----------------------------------------------------------------


@dataclass
class TemplatePage:
    """The page made through ``cms.api``: what every other page is cloned from."""

    page: Any
    content: Any
    placeholder: Any
    plugins: list[Any]
    texts: list[Any]


def create_template_page(user: Any) -> TemplatePage:
    """Create the first page with ``PLUGINS_PER_PAGE`` text plugins through ``cms.api``."""
    from cms.api import add_plugin, create_page
    from cms.models import PageContent, Placeholder
    from djangocms_text.models import Text

    page = create_page("Home", "page.html", LANGUAGE, created_by=user, in_navigation=True, slug="home")
    content = PageContent.admin_manager.filter(page=page, language=LANGUAGE).get()
    placeholder = Placeholder.objects.get_for_obj(content).get(slot="content")
    for number in range(PLUGINS_PER_PAGE):
        add_plugin(placeholder, "TextPlugin", LANGUAGE, body=f"<p>Paragraph {number + 1} of the page.</p>")
    plugins = list(placeholder.cmsplugin_set.order_by("position"))
    texts = [Text.objects.get(pk=plugin.pk) for plugin in plugins]
    return TemplatePage(page, content, placeholder, plugins, texts)


# -- cloning the site ------------------------------------------------------------------


@dataclass
class ClonedSite:
    """Primary keys of the cloned rows, per page pk."""

    layout: Layout
    content_pk: dict[int, int]
    models: list[type[models.Model]]


def clone_site(template: TemplatePage, size: int) -> ClonedSite:
    """Clone the template page ``size - 1`` times into the tree of :func:`plan_layout`."""
    from cms.models import CMSPlugin, Page, PageContent, PageUrl, Placeholder
    from djangocms_text.models import Text

    first_root = Page.objects.filter(depth=1).count()
    layout = plan_layout(size, first_root=first_root, first_pk=next_pk(Page))
    specs = layout.pages
    content_base, placeholder_base = next_pk(PageContent), next_pk(Placeholder)
    url_base, plugin_base = next_pk(PageUrl), next_pk(CMSPlugin)
    url_template = PageUrl(page=template.page, language=LANGUAGE, site_id=template.page.site_id, managed=True)
    content_pk = {spec.pk: content_base + n for n, spec in enumerate(specs)}
    placeholder_pk = {spec.pk: placeholder_base + n for n, spec in enumerate(specs)}

    with transaction.atomic():
        clone_rows(
            Page,
            template.page,
            (
                {
                    "id": s.pk,
                    "parent_id": s.parent_pk,
                    "path": s.tree_path,
                    "depth": s.depth,
                    "numchild": s.numchild,
                    "is_home": False,
                    "reverse_id": None,
                }
                for s in specs
            ),
        )
        clone_rows(
            PageUrl,
            url_template,
            (
                {"id": url_base + n, "page_id": s.pk, "slug": s.slug, "path": s.url_path}
                for n, s in enumerate(specs)
            ),
        )
        clone_rows(
            PageContent,
            template.content,
            (
                {"id": content_pk[s.pk], "page_id": s.pk, "title": f"Page {s.index + 1}", "slug": s.slug}
                for s in specs
            ),
        )
        clone_rows(
            Placeholder,
            template.placeholder,
            ({"id": placeholder_pk[s.pk], "object_id": content_pk[s.pk]} for s in specs),
        )
        plugin_pks = list(_plugin_pks(specs, plugin_base))
        clone_rows(CMSPlugin, template.plugins[0], _plugin_rows(template, placeholder_pk, plugin_pks))
        clone_rows(Text, template.texts[0], _text_rows(template, plugin_pks))
    touched = [Page, PageUrl, PageContent, Placeholder, CMSPlugin]
    return ClonedSite(layout=layout, content_pk=content_pk, models=touched)


def _plugin_pks(specs: list[PageSpec], base: int) -> Iterator[tuple[PageSpec, int, int]]:
    """(page, plugin number, plugin pk) for every cloned plugin."""
    pk = base
    for spec in specs:
        for number in range(spec.plugins):
            yield spec, number, pk
            pk += 1


def _plugin_rows(
    template: TemplatePage, placeholder_pk: dict[int, int], plugin_pks: list[tuple[PageSpec, int, int]]
) -> Iterator[dict[str, Any]]:
    for spec, number, pk in plugin_pks:
        source = template.plugins[number % len(template.plugins)]
        yield {
            "id": pk,
            "placeholder_id": placeholder_pk[spec.pk],
            "position": number + 1,
            "language": source.language,
            "plugin_type": source.plugin_type,
        }


def _text_rows(
    template: TemplatePage, plugin_pks: list[tuple[PageSpec, int, int]]
) -> Iterator[dict[str, Any]]:
    for _spec, number, pk in plugin_pks:
        source = template.texts[number % len(template.texts)]
        yield {"cmsplugin_ptr_id": pk, "body": source.body}


def add_version_rows(
    model: type[models.Model],
    template_version: models.Model,
    site: ClonedSite,
    extra: Callable[[int, int], dict[str, Any]] | None = None,
) -> None:
    """Clone ``template_version`` once per cloned PageContent (``object_id`` replaced).

    ``extra(page_pk, content_pk)`` adds per-row overrides (e.g. the grouping key).
    """
    base = next_pk(model)
    rows = (
        {"id": base + n, "object_id": content_pk, **(extra(page_pk, content_pk) if extra else {})}
        for n, (page_pk, content_pk) in enumerate(site.content_pk.items())
    )
    with transaction.atomic():
        clone_rows(model, template_version, rows)
    site.models.append(model)


def finish_clone(site: ClonedSite) -> None:
    """Reset sequences of every table that got explicit primary keys."""
    reset_sequences(site.models)
