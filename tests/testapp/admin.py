"""A custom grouper admin, as a third-party app would register it."""

from cms.admin.utils import GrouperModelAdmin
from django.contrib import admin

from .models import Article, ArticleContent


@admin.register(Article)
class ArticleAdmin(GrouperModelAdmin):
    content_model = ArticleContent
    extra_grouping_fields = ("language",)
    list_display = ("slug", "content__title", "admin_list_actions")
    fields = ("slug", "content__title", "content__body", "content__language")
