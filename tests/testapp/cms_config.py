from cms.app_base import CMSAppConfig

from .models import ArticleContent, SnippetContent


class TestAppCMSConfig(CMSAppConfig):
    djangocms_versioning_enabled = True

    def __init__(self, app):
        super().__init__(app)
        VersionableItem = self.get_contract("djangocms_versioning")
        self.versioning = [
            VersionableItem(
                content_model=ArticleContent,
                grouper_field_name="article",
                extra_grouping_fields=["language"],
                version_list_filter_lookups={"language": lambda *args: [("en", "English")]},
                grouper_selector_option_label=lambda obj, lang: str(obj),
                grouper_admin_mixin="__default__",
                on_publish=_log("publish"),
                on_unpublish=_log("unpublish"),
                on_draft_create=_log("draft_create"),
            ),
            VersionableItem(content_model=SnippetContent, grouper_field_name="snippet"),
        ]


#: (hook name, version pk) for every hook call; tests clear and inspect it.
HOOK_CALLS = []

#: hook name -> exception the hook raises after logging the call, or a function it calls
#: with the Version (e.g. one running a failing query); tests set and clear it.
HOOK_FAILURES = {}


def _log(name):
    def hook(version):
        HOOK_CALLS.append((name, version.pk))
        failure = HOOK_FAILURES.get(name)
        if isinstance(failure, BaseException):
            raise failure
        if failure is not None:
            failure(version)

    return hook
