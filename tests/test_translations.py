"""The translations are complete and current: every string the code marks is in each
language's catalogues, translated, and the compiled catalogues Django reads match them.
(`make messages` brings them up to date; docs/languages.md.)"""

import gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "locale"
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
DOMAINS = ("django", "djangojs")


def catalogue(language: str, domain: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{domain}.po"


def msgfmt(*args: str) -> subprocess.CompletedProcess:
    if shutil.which("msgfmt") is None:
        pytest.fail("The translation checks need GNU gettext: apt-get install gettext.")
    return subprocess.run(["msgfmt", *args], capture_output=True, text=True, check=False)


def msgids(path: Path) -> set[str]:
    """The message ids of a .po file (with context and plural), read by msgfmt itself."""
    compiled = path.with_suffix(".check.mo")
    try:
        assert msgfmt("--use-fuzzy", "-o", str(compiled), str(path)).returncode == 0
        with compiled.open("rb") as data:
            return {key if isinstance(key, str) else key[0] for key in gettext.GNUTranslations(data)._catalog}
    finally:
        compiled.unlink(missing_ok=True)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_every_message_is_translated_and_none_is_a_guess(language, domain):
    checked = msgfmt("--check", "--statistics", "-o", "/dev/null", str(catalogue(language, domain)))
    assert checked.returncode == 0, checked.stderr
    assert re.fullmatch(r"\d+ translated messages\.\n", checked.stderr), checked.stderr


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_the_compiled_catalogue_is_the_current_one(language, domain, tmp_path):
    source = catalogue(language, domain)
    fresh = tmp_path / "fresh.mo"
    assert msgfmt("-o", str(fresh), str(source)).returncode == 0
    with fresh.open("rb") as new, source.with_suffix(".mo").open("rb") as committed:
        assert gettext.GNUTranslations(committed)._catalog == gettext.GNUTranslations(new)._catalog, (
            f"{source.with_suffix('.mo').relative_to(ROOT)} is out of date: run `make messages`."
        )


def test_every_marked_string_is_in_the_catalogues(tmp_path):
    """Gather the strings again from a copy of the code, as `make messages` does, and
    compare: a string marked since the catalogues were made would show here."""
    if shutil.which("xgettext") is None:
        pytest.fail("The translation checks need GNU gettext: apt-get install gettext.")
    copy = tmp_path / "roomclaim"
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    for name in filter(None, tracked):
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    skip = [
        "--ignore=bench",
        "--ignore=tests",
        "--ignore=*/tests/*",
        "--ignore=deploy",
        "--ignore=node_modules",
    ]
    for domain in DOMAINS:
        made = subprocess.run(
            [sys.executable, "manage.py", "makemessages", "--all", "--no-obsolete", "-d", domain, *skip],
            cwd=copy,
            capture_output=True,
            text=True,
            check=False,
        )
        assert made.returncode == 0, made.stderr
        for language in LANGUAGES:
            gathered = msgids(copy / "locale" / language / "LC_MESSAGES" / f"{domain}.po")
            assert gathered == msgids(catalogue(language, domain)), "run `make messages` and translate"
