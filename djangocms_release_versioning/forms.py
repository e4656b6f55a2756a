"""Forms of the release admin and the toolbar."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Release
from .validators import MAX_LENGTH, clashing_version, validate_release_version, version_taken_error


class ReleaseForm(forms.Form):
    """Open a new release, optionally branched from a locked one.

    Only validates input; :func:`.services.create_release` does the work (and checks again).
    """

    version = forms.CharField(
        label=_("Version"),
        strip=False,  # a space is refused like any other, not silently removed
        validators=[validate_release_version],
        widget=forms.TextInput(attrs={"maxlength": MAX_LENGTH}),
        help_text=_(
            "A unique name, e.g. v1.3.0: no spaces or invisible characters, at most 100 characters. "
            "Names that differ only in case count as the same."
        ),
    )
    based_on = forms.ModelChoiceField(
        label=_("Based on"),
        queryset=Release.objects.none(),
        required=False,
        empty_label=_("Nothing — start an empty release"),
        help_text=_(
            "A locked release whose content the new release starts with (nothing is copied until "
            "you edit it). Usually the live release."
        ),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    switch = forms.BooleanField(
        label=_("Work in the new release"),
        required=False,
        initial=True,
        help_text=_("Make it your working release in the toolbar."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        live = Release.objects.live()
        self.live_id = live.pk if live is not None else None
        self.fields["based_on"].queryset = Release.objects.locked().order_by("-created_at", "-pk")
        self.fields["based_on"].label_from_instance = self._release_label

    def _release_label(self, release: Release) -> str:
        suffix = gettext(" (live)") if release.pk == self.live_id else ""
        return f"{release.version} — {release.state}{suffix}"

    def clean_version(self) -> str:
        """The version, checked against the release name rule and, ignoring case, the existing names."""
        version = self.cleaned_data["version"]
        existing = clashing_version(version)
        if existing is not None:
            raise version_taken_error(version, existing)
        return version
