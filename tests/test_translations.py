"""The course in other languages (grader/authoring/translate.py): one source, catalogues kept in step by these tests."""
from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader.authoring import build, translate
from tests.conftest import ROOT
from tests.course_copies import grade_rows, solved_notebook

TRANSLATED = [(language, a) for language in translate.LANGUAGES for a in translate.translated_assignments(language)]
#: Spans a translation must carry unchanged: display and inline formulas, code spans, HTML tags, links' targets
#: (and code blocks, whose comments may be translated: matched first so that their lines are not read as spans).
UNTOUCHED = re.compile(r"```.*?```|\$\$.*?\$\$|\$[^$\n]+\$|`[^`]+`|</?[A-Za-z][^<>\n]*>|\]\([^)\n]+\)", re.S)
FENCE = re.compile(r"```.*?```", re.S)
CJK = re.compile(r"[\u2e80-\uffff]")
#: Terms the course must render as its lecturer asked (the issue, and the lecturer's fixes).
REQUIRED_TERMS = {"局部连接", "权值共享", "填充", "步幅", "感受野", "互相关", "卷积", "池化", "上池化", "上采样", "下采样",
                  "反向传播", "误差项", "敏感度图", "转置卷积", "反卷积", "棋盘效应", "完全卷积", "扩张率"}


def glossary(language: str) -> list[tuple[list[str], str]]:
    """(the English forms of a term, its one translation), from ``locale/<language>/glossary.csv``."""
    with (ROOT / translate.LOCALE_DIRECTORY / language / "glossary.csv").open(encoding="utf-8") as handle:
        return [(row["english"].split("|"), row["chinese"]) for row in csv.DictReader(handle)]


def _words(text: str) -> str:
    """``text`` with every run of white space one space: markdown shows a line break inside a span as a space."""
    return " ".join(text.split())


def prose(text: str) -> str:
    """What a paragraph says in words: formulas, code and tags left out."""
    return UNTOUCHED.sub(" ", text)


def test_paragraphs_are_cut_at_blank_lines_but_never_inside_a_fence_or_a_formula():
    text = ("One\nline two\n\n- a\n- b\n\n```python\nx = 1\n\ny = 2\n```\n\n$$a\n\nb$$\n\n\n"
            "4. ```python\n   f()\n\n   ```\n\nLast")
    assert translate.paragraphs(text) == ["One\nline two", "- a\n- b", "```python\nx = 1\n\ny = 2\n```", "$$a\n\nb$$",
                                          "4. ```python\n   f()\n\n   ```", "Last"]


@pytest.mark.parametrize("language, assignment", TRANSLATED)
def test_every_catalogue_is_complete_current_and_keeps_formulas_and_code(language, assignment):
    assert translate.stale_entries(assignment, language) == []
    catalog = translate.read_catalogue(translate.catalogue_path(assignment, language), language)
    for message in translate.template(assignment):
        if not message.id:
            continue
        english, translated = message.id, catalog.get(message.id).string
        missing = [span for span in UNTOUCHED.findall(english)
                   if not span.startswith("```") and _words(span) not in _words(translated)]
        assert not missing, f"{message.locations[0]}: the translation lost {missing}"
        fences = [(e, t) for e, t in zip(FENCE.findall(english), FENCE.findall(translated))]
        assert len(fences) == len(FENCE.findall(english)), f"{message.locations[0]}: a code block was lost"
        for block, translated_block in fences:  # line for line; only a line with a translated comment may differ
            lines, translated_lines = block.split("\n"), translated_block.split("\n")
            assert len(lines) == len(translated_lines) and all(
                a == b for a, b in zip(lines, translated_lines) if not CJK.search(b)), \
                f"{message.locations[0]}: a code block changed:\n{translated_block}"
        level = re.match(r"#*", english).group(0)
        assert re.match(r"#*", translated).group(0) == level, f"{message.locations[0]}: not the same heading level"
        assert translated.count("\n|") == english.count("\n|"), f"{message.locations[0]}: not the same table"


@pytest.mark.parametrize("language", translate.LANGUAGES)
def test_the_glossary_gives_each_term_one_translation_everywhere(language):
    terms = glossary(language)
    assert REQUIRED_TERMS <= {chinese for _, chinese in terms}, REQUIRED_TERMS - {chinese for _, chinese in terms}
    assert len({chinese for _, chinese in terms}) == len(terms), "a Chinese term is given to two English terms"
    wrong = []
    for assignment in translate.translated_assignments(language):
        catalog = translate.read_catalogue(translate.catalogue_path(assignment, language), language)
        for message in catalog:
            if not message.id:
                continue
            words = prose(message.id).lower()
            for forms, chinese in terms:
                if any(re.search(rf"(?<![\w-]){re.escape(form)}(?![\w])", words) for form in forms) \
                        and chinese not in prose(message.string):
                    wrong.append(f"{message.locations[0]}: {forms[0]!r} without {chinese}")
    assert not wrong, "\n".join(wrong)


def test_a_changed_english_paragraph_stops_the_build_until_its_translation_is_updated(tmp_path):
    language, assignment = TRANSLATED[0]
    source = translate.source_path(assignment, tmp_path)
    source.parent.mkdir(parents=True)
    text = translate.source_path(assignment).read_text(encoding="utf-8")
    old = "# Flattening loses the picture."
    assert old in text
    source.write_text(text.replace(old, "# Flattening throws the picture away."), encoding="utf-8")
    catalogue = translate.catalogue_path(assignment, language, tmp_path)
    catalogue.parent.mkdir(parents=True)
    shutil.copyfile(translate.catalogue_path(assignment, language), catalogue)
    english = build.notebook_from_source(source)

    with pytest.raises(translate.StaleTranslation, match=r"(?s)for 1 paragraph.*py:\d+ \(untranslated\): Neuron \$j\$"):
        translate.translate(english, assignment, language, tmp_path)
    # make translations: the old translation is kept, marked fuzzy, with the old English beside it for the translator
    assert translate.update_catalogues(language, tmp_path) == [
        f"{catalogue.relative_to(tmp_path)}: 57 paragraphs, 0 untranslated, 1 fuzzy"]
    po = catalogue.read_text(encoding="utf-8")
    assert "#, fuzzy" in po and '#| msgid ""' in po and "#| msgid" in po and "Flattening loses the" in po
    with pytest.raises(translate.StaleTranslation, match=r"\(fuzzy\): Neuron \$j\$"):
        translate.translate(english, assignment, language, tmp_path)
    # the translator updates it and clears the flag (Poedit: "Needs work" off)
    catalog = translate.read_catalogue(catalogue, language)
    fuzzy = [m for m in catalog if m.fuzzy and m.id]
    assert len(fuzzy) == 1 and "throws the picture away" in fuzzy[0].id
    fuzzy[0].flags.discard("fuzzy")
    translate.write_catalogue(catalog, catalogue)
    translated = translate.translate(english, assignment, language, tmp_path)
    assert translated.metadata["cnn_course"]["language"] == language
    assert "Neuron" not in "".join(c.source for c in translated.cells if c.cell_type == "markdown")


@pytest.mark.parametrize("language, assignment", TRANSLATED)
def test_a_translated_notebook_has_the_same_cells_code_and_grading(language, assignment):
    for folder in ("solutions", "notebooks"):
        english = nbformat.read(ROOT / folder / assignment / f"{assignment}.ipynb", as_version=4)
        translated = nbformat.read(ROOT / language / folder / assignment / f"{assignment}.ipynb", as_version=4)
        assert translated.metadata["cnn_course"]["language"] == language
        assert [(c.id, c.cell_type, c.metadata) for c in translated.cells] == \
               [(c.id, c.cell_type, c.metadata) for c in english.cells]
        assert [c.source for c in translated.cells if c.cell_type == "code"] == \
               [c.source for c in english.cells if c.cell_type == "code"]
        changed = [c for c, e in zip(translated.cells, english.cells) if c.cell_type == "markdown" and c.source != e.source]
        assert len(changed) == sum(c.cell_type == "markdown" for c in english.cells)


@pytest.mark.slow
def test_right_answers_in_translated_notebooks_grade_to_full_marks_beside_english_ones(tmp_path):
    """One class, one gradebook: a notebook in Chinese and one in English (the cells are the same: the test above),
    03 with the functions its student brought from their own 02."""
    language = TRANSLATED[0][0]
    klass = tmp_path / "class"
    klass.mkdir()
    for student, folder, assignment in (("ada", ROOT / language, "01_local_connectivity"), ("bo", ROOT, "01_local_connectivity"),
                                        ("chen", ROOT / language, "03_correlation_convolution")):
        nbformat.write(solved_notebook(folder, assignment), klass / f"{student}__{assignment}.ipynb")
    run = subprocess.run([sys.executable, "-m", "grader", "grade", str(klass), "--out", str(tmp_path / "course"),
                          "--jobs", "2"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    rows = grade_rows(tmp_path / "course")
    assert rows["ada"]["01_local_connectivity"] == rows["bo"]["01_local_connectivity"] == "25", rows
    assert rows["chen"]["03_correlation_convolution"] == "20", rows["chen"]
    page = tmp_path / "course" / "feedback" / "chen" / "03_correlation_convolution" / "03_correlation_convolution.html"
    assert "互相关" in page.read_text(encoding="utf-8")


def test_the_build_writes_each_translated_notebook_where_the_languages_folder_is(tmp_path):
    language, assignment = TRANSLATED[0]
    written = build.translated_versions(assignment, ROOT, tmp_path, ROOT / "solutions" / assignment / f"{assignment}.ipynb",
                                        ROOT / "notebooks" / assignment / f"{assignment}.ipynb")
    assert [p.relative_to(tmp_path) for p in written] == [Path(language) / f / assignment / f"{assignment}.ipynb"
                                                          for f in ("solutions", "notebooks")]


def test_make_takes_the_language_from_its_command_line_only():
    """`make lab LANGUAGE=zh` opens the Chinese notebooks; a desktop's LANGUAGE=en_US:en (gettext's) changes nothing."""
    def lab_root(*arguments: str, **environment: str) -> str:
        run = subprocess.run(["make", "-n", "lab", *arguments], cwd=ROOT, capture_output=True, text=True,
                             env={**os.environ, **environment})
        return run.stdout + run.stderr

    assert f"--ServerApp.root_dir=\"{ROOT}/zh/notebooks\"" in lab_root("LANGUAGE=zh")
    assert f"--ServerApp.root_dir=\"{ROOT}/notebooks\"" in lab_root(LANGUAGE="en_US:en")
    assert "LANGUAGE must be en or zh, got fr" in lab_root("LANGUAGE=fr")
