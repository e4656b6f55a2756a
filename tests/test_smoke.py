import pytest

from djangocms_release_versioning import services
from djangocms_release_versioning.constants import APPROVED
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import Release, Version
from tests.factories import ArticleContentFactory
from tests.testapp.models import ArticleContent

pytestmark = pytest.mark.django_db


def test_full_cycle():
    content = ArticleContentFactory()
    r1 = Release.objects.get()
    assert r1.version == "v1"
    assert ArticleContent.objects.count() == 0
    assert list(ArticleContent.admin_manager.current_content()) == [content]
    assert services.approve_release(r1) == 1
    services.lock_release(r1)
    manifest = services.deploy_release(r1)
    assert len(manifest) == 1
    assert list(ArticleContent.objects.all()) == [content]
    r2 = services.create_release("v2", based_on=r1)
    assert Version.objects.filter(release=r2).count() == 1
    with use_release(r2):
        draft = services.create_draft(content, user=None)
        assert draft.pk != content.pk
        assert draft.content_indicator() == "dirty"
        draft.title = "changed"
        draft.save()
        again = services.create_draft(content, user=None)
        assert again.pk == draft.pk
    assert list(ArticleContent.objects.all()) == [content]
    services.approve_release(r2)
    services.lock_release(r2)
    services.deploy_release(r2)
    assert list(ArticleContent.objects.values_list("title", flat=True)) == ["changed"]
    assert Version.objects.get(release=r2).status == APPROVED
    services.deploy_release(r1, rollback=True)
    assert list(ArticleContent.objects.all()) == [content]
