"""factory_boy factories for content used across the tests."""

import factory
from django.contrib.auth import get_user_model

from tests.testapp.models import Article, ArticleContent, Snippet, SnippetContent


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    is_staff = True
    is_superuser = True
    password = factory.PostGenerationMethodCall("set_password", "pw")


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    slug = factory.Sequence(lambda n: f"article-{n}")


class ArticleContentFactory(factory.django.DjangoModelFactory):
    """Creates content through ``objects.with_user(...)``: a draft in the working release."""

    class Meta:
        model = ArticleContent

    article = factory.SubFactory(ArticleFactory)
    language = "en"
    title = factory.Sequence(lambda n: f"Article {n}")
    body = "body"

    @classmethod
    def _create(cls, model_class, *args, user=None, **kwargs):
        return model_class.objects.with_user(user).create(**kwargs)


class SnippetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Snippet

    name = factory.Sequence(lambda n: f"snippet-{n}")


class SnippetContentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SnippetContent

    snippet = factory.SubFactory(SnippetFactory)
    text = factory.Sequence(lambda n: f"text {n}")

    @classmethod
    def _create(cls, model_class, *args, user=None, **kwargs):
        return model_class.objects.with_user(user).create(**kwargs)
