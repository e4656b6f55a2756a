import pytest
from djangocms_release_versioning import services
from djangocms_release_versioning.models import Release, Version
from tests.dbstate import snapshot, row_count

pytestmark = pytest.mark.django_db

def test_page():
    from cms.api import create_page, add_plugin
    from cms.models import PageContent, PageUrl
    from django.contrib.auth import get_user_model
    user = get_user_model().objects.create_superuser("a", "a@x.org", "pw")
    page = create_page("Home", "page.html", "en", created_by=user)
    child = create_page("Child", "page.html", "en", created_by=user, parent=page)
    print(Release.objects.all(), Version.objects.all())
    pc = PageContent.admin_manager.filter(page=page).first()
    ph = pc.get_placeholders().first()
    print(ph)
    add_plugin(ph, "TextPlugin", "en", body="hi")
    print(PageUrl.objects.values())
    s = snapshot()
    print(row_count(s), len(s))
