from __future__ import annotations

from django import forms

from knowledge.models import Article, ArticleStatus, Category


class ArticleForm(forms.Form):
    category = forms.ModelChoiceField(queryset=Category.objects.all(), empty_label=None)
    title = forms.CharField(max_length=Article._meta.get_field("title").max_length)
    body = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 18, "class": "mono"}),
        help_text="Markdown: # headings, **bold**, lists, `code`, [links](https://…), tables.",
    )
    status = forms.ChoiceField(choices=ArticleStatus.choices, initial=ArticleStatus.DRAFT)

    @classmethod
    def for_article(cls, article: Article, data=None) -> ArticleForm:
        return cls(data, initial={f: getattr(article, f) for f in ("category", "title", "body", "status")})


class CategoryForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(max_length=300, required=False)
