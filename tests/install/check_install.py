#!/usr/bin/env python3
"""Tests of memtrack as it is installed and packaged: the man pages agree with --help, man and the shell
completions work from an install prefix, building needs no Node.js, and the .deb installs and runs.

Usage: check_install.py CASE   (ctest runs one case per test; see CMakeLists.txt)

Environment: MEMTRACK (the built memtrack, BUILD/bin/memtrack), MAN_DIRECTORY (the built man pages),
INSTALL_WORK (a scratch directory), CMAKE, CC.
"""
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
MEMTRACK = os.environ.get("MEMTRACK", "memtrack")
BUILD = os.path.dirname(os.path.dirname(os.path.abspath(MEMTRACK)))  # MEMTRACK is BUILD/bin/memtrack
WORK = os.environ.get("INSTALL_WORK", os.path.join(os.getcwd(), "install-work"))
CMAKE = os.environ.get("CMAKE", "cmake")
COMMANDS = ["run", "report", "check", "diff", "view"]


class Failure(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Failure(message)


def run(args, status=None, cwd=None, env=None, stdin=None):
    """Runs ARGS; checks its exit status when STATUS is given."""
    result = subprocess.run(args, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, errors="replace")
    if status is not None and result.returncode != status:
        raise Failure(f"{' '.join(args)}: exit {result.returncode}, expected {status}\n"
                      f"--- stdout\n{result.stdout}--- stderr\n{result.stderr}")
    return result


def fresh(name):
    """An empty directory NAME in the scratch directory."""
    path = os.path.join(WORK, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def install(name):
    """Installs the build into a fresh prefix NAME; returns the prefix."""
    prefix = fresh(name)
    run([CMAKE, "--install", BUILD, "--prefix", prefix], status=0)
    return prefix


def man(*args):
    """The page man renders for ARGS, as plain ASCII on one long line per paragraph; fails on any warning."""
    env = dict(os.environ, MANWIDTH="400", MAN_KEEP_FORMATTING="", LC_ALL="C.UTF-8")
    result = run(["man", "--warnings", "-E", "ascii", *args], status=0, env=env)
    expect(result.stderr == "", f"man {' '.join(args)} warns:\n{result.stderr}")
    return re.sub(r".\x08", "", result.stdout)


def words_in_order(text, page):
    """Says which word of TEXT is missing from PAGE, looking for each after the one before; None when all
    are there in order."""
    words, position = page.split(), 0
    for word in text.split():
        try:
            position = words.index(word, position) + 1
        except ValueError:
            return f"'{word}' (after word {position} of the page)"
    return None


def help_text(*command):
    return run([MEMTRACK, *command, "--help"], status=0).stdout


# --- man pages ---------------------------------------------------------------

def case_man_pages():
    """Each built page renders without a warning and says what --help says, word for word and in order (the
    synopsis from "Usage: memtrack ..."); memtrack(1) credits every package THIRD-PARTY lists."""
    directory = os.environ["MAN_DIRECTORY"]
    pages = {"memtrack": help_text()}
    pages.update({f"memtrack-{command}": help_text(command) for command in COMMANDS})
    expect(sorted(os.listdir(directory)) == sorted(f"{page}.1" for page in pages), os.listdir(directory))
    for page, text in pages.items():
        rendered = man("-l", os.path.join(directory, f"{page}.1"))
        expect(text.startswith("Usage: memtrack"), text)
        missing = words_in_order(text[len("Usage:"):], rendered)
        expect(missing is None, f"{page}.1 lacks {missing} of --help:\n{rendered}")
        expect(re.match(rf"{page.upper()}\(1\)", rendered.lstrip()), rendered[:200])
    overview = man("-l", os.path.join(directory, "memtrack.1"))
    with open(os.path.join(SOURCE, "THIRD-PARTY")) as stream:
        table = stream.read().split("\n\n")[1].splitlines()[1:]
    expect(len(table) > 3, table)
    for row in table:
        name, version, license_name = row.split()
        expect(re.search(rf"^ *{re.escape(name)} {re.escape(version)}\n *{re.escape(license_name)}$", overview,
                         re.M), f"memtrack.1 does not credit {row}")


CASES = {name[len("case_"):]: function for name, function in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        sys.exit(f"usage: {sys.argv[0]} CASE   (one of: {', '.join(CASES)})")
    try:
        CASES[sys.argv[1]]()
    except Failure as failure:
        sys.exit(f"FAILED {sys.argv[1]}: {failure}")
    print(f"passed {sys.argv[1]}")
