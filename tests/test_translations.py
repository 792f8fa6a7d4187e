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
from grader.translations import LOCALE_DIRECTORY
from tests.conftest import ROOT
from tests.course_copies import grade_rows, solved_notebook, with_sources

TRANSLATED = [(language, a) for language in translate.LANGUAGES for a in translate.translated_assignments(language)]
#: Spans a translation must carry unchanged: display and inline formulas, code spans, HTML tags, links' targets
#: (and code blocks, whose comments may be translated: matched first so that their lines are not read as spans).
UNTOUCHED = re.compile(r"```.*?```|\$\$.*?\$\$|\$[^$\n]+\$|`[^`]+`|</?[A-Za-z][^<>\n]*>|\]\([^)\n]+\)", re.S)
FENCE = re.compile(r"```.*?```", re.S)
CJK = re.compile(r"[\u2e80-\uffff]")
#: Terms the course must render as its lecturer asked (the issue, and the lecturer's fixes).
REQUIRED_TERMS = {"局部连接", "权值共享", "填充", "步幅", "感受野", "互相关", "卷积", "池化", "上池化", "上采样", "下采样",
                  "反向传播", "误差项", "敏感度图", "转置卷积", "反卷积", "棋盘效应", "完全卷积", "扩张率"}


#: Names in code, in the course's own words (where code is not quoted): an argument given a value (``stride=2``,
#: ``bias=False``, ``stride None``), a name in a formula (``(n-1)*stride``, ``k-1-pad``) or a call.
CODE_WORDS = re.compile(r"[\w.]+\s*(?:[<>!=]=|[<>=])\s*[^\s,;)]+|[\w.]+ - \d+|[\w.]+ (?:none|true|false)\b|[\w.()\-]*[*/+][\w.()\-]+|"
                        r"\w+-\d+-\w+|\w+\([^)]*\)|\w+_\w+")


def glossary(language: str) -> list[tuple[list[str], str]]:
    """(the English forms of a term, its one translation), from ``locale/<language>/glossary.csv``."""
    with (ROOT / LOCALE_DIRECTORY / language / "glossary.csv").open(encoding="utf-8") as handle:
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
    """In the notebooks' text and in the course's own words (hints, checks, widgets, pages) alike."""
    terms = glossary(language)
    assert REQUIRED_TERMS <= {chinese for _, chinese in terms}, REQUIRED_TERMS - {chinese for _, chinese in terms}
    assert len({chinese for _, chinese in terms}) == len(terms), "a Chinese term is given to two English terms"
    wrong = []
    for assignment in translate.translated_assignments(language) + list(translate.MESSAGE_CATALOGUES):
        catalog = translate.read_catalogue(translate.catalogue_path(assignment, language), language)
        for message in catalog:
            if not message.id:
                continue
            words = prose(message.id).lower()
            if assignment in translate.MESSAGE_CATALOGUES:  # code in a hint is not quoted: stride=2, (n-1)*stride
                words = CODE_WORDS.sub(" ", words)
            for forms, chinese in terms:
                if any(re.search(rf"(?<![\w-]){re.escape(form)}(?![\w])", words) for form in forms) \
                        and chinese not in prose(message.string):
                    wrong.append(f"{(message.locations or [('', 0)])[0]}: {forms[0]!r} without {chinese}: {message.id[:60]}")
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
                                        ("chen", ROOT / language, "03_correlation_convolution"),
                                        ("dan", ROOT / language, "02_padding_stride"), ("eve", ROOT, "02_padding_stride")):
        nb = solved_notebook(folder, assignment)
        if assignment == "02_padding_stride":  # the typical mistake: the first window position not counted
            nb = with_sources(nb, {"conv_output_size": FORGOT_PLUS_ONE})
        nbformat.write(nb, klass / f"{student}__{assignment}.ipynb")
    run = subprocess.run([sys.executable, "-m", "grader", "grade", str(klass), "--out", str(tmp_path / "course"),
                          "--jobs", "2"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    rows = grade_rows(tmp_path / "course")
    assert rows["ada"]["01_local_connectivity"] == rows["bo"]["01_local_connectivity"] == "25", rows
    assert rows["chen"]["03_correlation_convolution"] == "20", rows["chen"]
    page = tmp_path / "course" / "feedback" / "chen" / "03_correlation_convolution" / "03_correlation_convolution.html"
    assert "互相关" in page.read_text(encoding="utf-8")
    # the same mistake gets its hint in the notebook's language, in the same class
    pages = {student: (tmp_path / "course" / "feedback" / student / "02_padding_stride" / "02_padding_stride.html"
                       ).read_text(encoding="utf-8") for student in ("dan", "eve")}
    assert ZH_HINT in pages["dan"] and EN_HINT not in pages["dan"] and "提示" in pages["dan"], pages["dan"][-3000:]
    assert EN_HINT in pages["eve"] and ZH_HINT not in pages["eve"] and not CJK.search(pages["eve"].split("<body")[1])
    assert rows["dan"]["02_padding_stride"] == rows["eve"]["02_padding_stride"]


#: A typical mistake in 02, and its hint in both languages (grader.course.notebooks.nb02_padding_stride.mistakes).
FORGOT_PLUS_ONE = """\
    def conv_output_size(n, k, stride=1, pad=0, dilation=1):
        if stride < 1 or pad < 0 or dilation < 1 or n < 1 or k < 1:
            raise ValueError(f"stride must be >= 1, pad >= 0, dilation >= 1, n >= 1, k >= 1; got {stride}, {pad}, {dilation}, {n}, {k}")
        if dilation * (k - 1) + 1 > n + 2 * pad:
            raise ValueError(f"kernel k={k} with dilation={dilation} is larger than the padded input n={n}")
        return (n + 2 * pad - dilation * (k - 1) - 1) // stride
"""
EN_HINT = "output size off by one: did you forget the + 1?"
ZH_HINT = "输出尺寸差了一：是不是忘了 + 1？"


@pytest.mark.parametrize("name", translate.MESSAGE_CATALOGUES)
@pytest.mark.parametrize("language", translate.LANGUAGES)
def test_every_message_hint_and_note_has_an_up_to_date_translation(language, name):
    """What the checks, the grader and its pages say (their tr("...") strings, every hint, every case's note, the
    test cells' labels) is in the catalogue, translated and not fuzzy: a new or changed message fails here until its
    translation is written (make translations, then the .po)."""
    stale = translate.stale_messages(name, language)
    assert not stale, (f"{len(stale)} message(s) of locale/{language}/LC_MESSAGES/{name}.po without an up-to-date "
                       f"translation (run `make translations`, translate them, clear their fuzzy flags):\n  "
                       + "\n  ".join(stale[:20]))


@pytest.mark.parametrize("language", translate.LANGUAGES)
def test_each_translated_message_keeps_its_placeholders_and_code(language):
    """A translation fills the same {placeholders} (else .format fails, or says the wrong number) and keeps the code a
    hint names (`raise NotImplementedError()`, np.repeat, x.T @ dout): a student copies it from there."""
    for name in translate.MESSAGE_CATALOGUES:
        for english, translated in translate.translations(name, language).items():
            assert set(re.findall(r"\{(\w*)\}", english)) == set(re.findall(r"\{(\w*)\}", translated)), (english, translated)
            assert re.findall(r"`[^`]+`", english) == re.findall(r"`[^`]+`", translated), (english, translated)
            for call in re.findall(r"\bnp\.\w+\(", english):
                assert call in translated, (call, english, translated)


def test_the_checks_speak_the_notebooks_language_and_english_elsewhere():
    """The same wrong answer, judged in a Chinese notebook and in an English one: the same verdict, in its words."""
    from cnn_course import i18n
    from grader.cases import CASE_SETS
    from grader.course import verdict

    case_set = CASE_SETS["test_conv_output_size_hidden"]
    wrong = record_all(case_set, lambda n, k, stride=1, pad=0, dilation=1: (n + 2 * pad - dilation * (k - 1) - 1) // stride)
    said = {}
    for language in ("zh", "en", "klingon"):
        with i18n.speaking(language):
            said[language] = verdict.judge(case_set.id, {"id": case_set.id, "outcomes": wrong})
    assert said["zh"].passed is said["en"].passed is False
    assert said["klingon"].lines == said["en"].lines  # a language the course does not have is English
    zh, en = "\n".join(said["zh"].lines), "\n".join(said["en"].lines)
    assert ZH_HINT in zh and "错在哪里" in zh and "提示：" in zh and EN_HINT not in zh
    assert EN_HINT in en and not CJK.search(en)
    assert zh.count("FAIL") == en.count("FAIL")


def record_all(case_set, function) -> list[dict]:
    from cnn_course import record

    return [record.run_case(function, case.args) for case in case_set.cases()]


def test_a_kernel_finds_its_notebooks_language(tmp_path, monkeypatch):
    """In JupyterLab (JPY_SESSION_NAME names the notebook), from the one notebook of its folder, or told outright;
    metadata naming a language the course does not have is English."""
    from cnn_course import i18n

    for variable in ("JPY_SESSION_NAME", i18n.ENVIRONMENT):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)
    zh, other = tmp_path / "zh.ipynb", tmp_path / "x.ipynb"
    nbformat.write(nbformat.v4.new_notebook(metadata={"cnn_course": {"language": "zh"}}), zh)
    assert i18n.kernel_language() == "zh"
    nbformat.write(nbformat.v4.new_notebook(metadata={"cnn_course": {"language": "<script>"}}), other)
    assert i18n.kernel_language() == "en"  # two notebooks here: no telling which
    monkeypatch.setenv("JPY_SESSION_NAME", str(zh))
    assert i18n.kernel_language() == "zh"
    monkeypatch.setenv("JPY_SESSION_NAME", str(other))
    assert i18n.kernel_language() == "en"
    monkeypatch.setenv(i18n.ENVIRONMENT, "zh")
    assert i18n.kernel_language() == "zh"


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


def test_the_class_report_counts_a_mistake_once_whatever_the_notebooks_language():
    """The instructor's report reads each verdict: a Chinese one names the same mistake, in English, as the English one."""
    from cnn_course import i18n
    from grader.cases import CASE_SETS
    from grader.course import verdict
    from grader.instructor.report import verdict_mistakes

    case_set = CASE_SETS["test_conv_output_size_hidden"]
    wrong = record_all(case_set, lambda n, k, stride=1, pad=0, dilation=1: (n + 2 * pad - dilation * (k - 1) - 1) // stride)
    named = {}
    for language in ("en", "zh"):
        with i18n.speaking(language):
            named[language] = verdict_mistakes(verdict.judge(case_set.id, {"id": case_set.id, "outcomes": wrong}).lines)
    hints = {language: [text for kind, text in found if kind == "hint"] for language, found in named.items()}
    assert hints["zh"] == hints["en"] and hints["en"] and hints["en"][0].startswith(EN_HINT), named


@pytest.mark.slow  # runs the notebook: not for make test-fast
def test_grader_check_speaks_the_notebooks_language(tmp_path):
    """`grader check` of a Chinese notebook with a typical mistake: its table, its hint and its total in Chinese."""
    folder = tmp_path / "02_padding_stride"
    folder.mkdir()
    nb = with_sources(solved_notebook(ROOT / "zh", "02_padding_stride"), {"conv_output_size": FORGOT_PLUS_ONE})
    nbformat.write(nb, folder / "02_padding_stride.ipynb")
    run = subprocess.run([sys.executable, "-m", "grader", "check", str(folder / "02_padding_stride.ipynb")],
                         capture_output=True, text=True, timeout=300, cwd=folder)
    assert run.returncode == 0, run.stderr[-2000:]
    assert ZH_HINT in run.stdout and "已用隐藏测试评分" in run.stdout and "总分" in run.stdout, run.stdout
    assert EN_HINT not in run.stdout


@pytest.mark.parametrize("metadata", [None, [], "zh", {"cnn_course": "zh"}, {"cnn_course": ["zh"]},
                                      {"cnn_course": {"language": {"zh": 1}}}, {"cnn_course": {"language": "ZH"}},
                                      {"cnn_course": {"language": "zh" * 10_000}}, {"cnn_course": {"language": "en"}}])
def test_a_notebooks_language_written_any_other_way_is_english(metadata):
    """The metadata is the student's to edit: anything but a language the course has, written as the course writes
    it, is English (never an error, never a lookup of what they wrote)."""
    from cnn_course.i18n import notebook_language

    assert notebook_language(metadata) == "en"
