"""A small content app registered through the contract, as a third-party app would."""

from cms.extensions import PageContentExtension, extension_pool
from cms.models.fields import PlaceholderRelationField
from cms.models.managers import ContentAdminManager, WithUserMixin
from django.db import models


class Article(models.Model):
    """Grouper."""

    slug = models.SlugField(unique=True)

    def __str__(self):
        return self.slug


class ArticleContentQuerySet(models.QuerySet):
    def titled(self, word):
        """A custom queryset method that must survive manager replacement."""
        return self.filter(title__icontains=word)


class ArticleContentManager(WithUserMixin, models.Manager.from_queryset(ArticleContentQuerySet)):
    pass


class ArticleContent(models.Model):
    """Content: one row per (article, language) and release."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="contents")
    language = models.CharField(max_length=10, default="en")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    placeholders = PlaceholderRelationField()

    objects = ArticleContentManager()
    admin_manager = ContentAdminManager()

    def __str__(self):
        return f"{self.title} ({self.language})"

    def get_template(self):
        return "page.html"


class Snippet(models.Model):
    name = models.CharField(max_length=50, unique=True)

    def __str__(self):
        return self.name


class SnippetContent(models.Model):
    """Content without extra grouping fields and with the default managers."""

    snippet = models.ForeignKey(Snippet, on_delete=models.CASCADE)
    text = models.CharField(max_length=200)

    def __str__(self):
        return self.text


class SeoExtension(PageContentExtension):
    """A page-content extension, to test copying and lock enforcement of extensions."""

    keywords = models.CharField(max_length=200, blank=True)


extension_pool.register(SeoExtension)
