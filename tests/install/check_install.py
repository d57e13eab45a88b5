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


sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from case_runner import Failure, expect, run_named_case  # noqa: E402  (tests/case_runner.py)

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
MEMTRACK = os.environ.get("MEMTRACK", "memtrack")
BUILD = os.path.dirname(os.path.dirname(os.path.abspath(MEMTRACK)))  # MEMTRACK is BUILD/bin/memtrack
WORK = os.environ.get("INSTALL_WORK", os.path.join(os.getcwd(), "install-work"))
CMAKE = os.environ.get("CMAKE", "cmake")
COMMANDS = ["run", "report", "check", "diff", "view"]


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


def case_man_installed():
    """From an install prefix on PATH, man finds memtrack(1) and each command's page (`man memtrack run`
    too), as man-db finds the pages of PREFIX/share/man for PREFIX/bin."""
    prefix = install("man")
    env = dict(os.environ, PATH=os.path.join(prefix, "bin") + os.pathsep + os.environ["PATH"])
    env.pop("MANPATH", None)
    where = run(["man", "-w", "memtrack"], status=0, env=env).stdout.strip()
    expect(where == os.path.join(prefix, "share", "man", "man1", "memtrack.1"), where)
    for args, title in [(["memtrack"], "MEMTRACK(1)"), (["memtrack-check"], "MEMTRACK-CHECK(1)"),
                        (["memtrack", "run"], "MEMTRACK-RUN(1)")]:
        page = run(["man", "-E", "ascii", *args], status=0, env=dict(env, MANWIDTH="100")).stdout
        expect(page.lstrip().startswith(title), f"man {' '.join(args)}: {page[:300]}")


# --- shell completion --------------------------------------------------------

def help_options(command):
    """The options COMMAND's --help lists: every -x and --word in the terms of its option entries."""
    options = set()
    for line in help_text(command).splitlines():
        if re.match(r" {2,6}-", line):
            term = re.split(r"  +", line.strip(), maxsplit=1)[0]
            options.update(re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", term))
    expect(options, f"no options in memtrack {command} --help")
    return options


def completion_cases(program_cases):
    """The command lines to complete (the last word is being completed), each with the completions it must
    offer and those it must not: commands, options, formats, gate kinds and the other values, every
    option of every command's --help, then PROGRAM_CASES, (line, wanted) pairs for run's program."""
    os.makedirs(os.path.join(WORK, "traces"), exist_ok=True)
    return [
        ("memtrack ", {"run", "report", "check", "diff", "view", "help"}, set()),
        ("memtrack re", {"report"}, {"run"}),
        ("memtrack help v", {"view"}, set()),
        ("memtrack report --format=j", {"json"}, {"text"}),
        ("memtrack report --format ", {"text", "json", "folded", "speedscope", "massif"}, set()),
        ("memtrack report --format folded --metric ", {"allocations", "bytes", "leaked", "peak", "temporary"},
         set()),
        ("memtrack report --metric=te", {"temporary"}, {"peak"}),
        ("memtrack report --show-leak-kinds=definite,poss", {"possible"}, set()),
        ("memtrack report --leak-resolution ", {"low", "med", "high"}, set()),
        ("memtrack report --leak-records=", {"all"}, set()),
        ("memtrack check --fail-on=leaks,inv", {"invalid-free"}, {"leaks"}),
        ("memtrack check --fail-on ", {"definite", "double-free", "mismatch", "untraced", "leaks", "errors",
                                       "all", "none"}, set()),
        ("memtrack run --fail-on=d", {"definite", "double-free"}, {"leaks"}),
        ("memtrack run --unwinder=", {"fast", "libunwind"}, set()),
        ("memtrack run --on-error ", {"continue", "abort"}, set()),
        ("memtrack run --leak-check-heuristics=stdstring,new", {"newarray"}, set()),
        ("memtrack run -o t.db --depth 8 --", {"--no-follow"}, set()),
        ("memtrack run -o t.db true --", set(), {"--no-follow", "--depth"}),
        ("memtrack view tra", {"traces"}, set()),
    ] + [(f"memtrack {command} -", help_options(command), set()) for command in COMMANDS] + [
        (line, wanted, {"--no-follow"}) for line, wanted in program_cases]


def check_completions(offered, cases):
    """Checks that OFFERED(line), the completions a shell offers for line, are what each of CASES wants."""
    for line, wanted, unwanted in cases:
        got = offered(line)
        expect(wanted <= got and not unwanted & got, f"'{line}' offers {sorted(got)}, wanted {sorted(wanted)}"
               f"{', not ' + str(sorted(unwanted)) if unwanted else ''}")


def case_bash_completion():
    """The bash completion installed under PREFIX/share/bash-completion/completions completes memtrack's
    commands, options and values (COMP_WORDS and COMP_CWORD set as bash sets them, '=' a word of its own)."""
    script = os.path.join(install("bash"), "share", "bash-completion", "completions", "memtrack")

    def offered(line):
        words = re.findall(r"[^ =]+=?|=", line)
        words = [w for part in words for w in ([part[:-1], "="] if part.endswith("=") and len(part) > 1
                                                else [part])]
        if line.endswith(" "):
            words.append("")
        quoted = " ".join("'" + word + "'" for word in words)
        program = (f"source '{script}'\nCOMP_WORDS=({quoted})\nCOMP_CWORD={len(words) - 1}\n"
                   f"COMP_LINE='{line}'\n_memtrack\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n")
        result = run(["bash", "--norc", "--noprofile"], status=0, cwd=WORK, stdin=program)
        expect(result.stderr == "", result.stderr)
        return {word.rsplit(",", 1)[-1] for word in result.stdout.split()}
    check_completions(offered, completion_cases([("memtrack run -o t.db pyth", {"python3"}),
                                                 ("memtrack run -- pyth", {"python3"})]))


def case_zsh_completion():
    """The zsh completion installed under PREFIX/share/zsh/site-functions, found on fpath by compinit,
    completes memtrack's commands, options and values in an interactive zsh (one, driven through a pty;
    compadd records what each completion adds)."""
    functions = os.path.join(install("zsh"), "share", "zsh", "site-functions")
    cases = completion_cases([("memtrack run -o t.db ls --a", {"--all"}), ("memtrack run --depth 8 ls --a",
                                                                             {"--all"})])
    lines = [line for line, _, _ in cases]
    program = [f"""zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PS1='> '; fpath=({functions} \\$fpath); autoload -Uz compinit; compinit -u -D; cd {WORK}"
zpty -w z 'compadd() {{ if (( ${{@[(I)-[OAD]*]}} )); then builtin compadd "$@"; else builtin compadd -O _offered "$@"; print -r -l -- $_offered >> $_capture; fi; }}'
"""]
    captures = [os.path.join(WORK, f"zsh-offered.{number}") for number in range(len(lines))]
    for capture, line in zip(captures, lines):
        if os.path.exists(capture):
            os.unlink(capture)
        program.append(f"""zpty -w z "_capture={capture}"
zpty -w -n z {shlex_quote(line)}$'\t'
for i in {{1..30}}; do [[ -e {capture} ]] && break; sleep 0.1; done
sleep 0.3
zpty -w -n z $'\x15'
""")
    program.append("zpty -d z\n")
    script = os.path.join(WORK, "zsh-offered.zsh")
    with open(script, "w") as stream:
        stream.write("".join(program))
    run(["zsh", "-f", script], status=0)
    results = {}
    for capture, line in zip(captures, lines):
        results[line] = set()
        if os.path.exists(capture):
            with open(capture) as stream:
                results[line] = {word.rsplit(",", 1)[-1] for word in stream.read().split()}
    check_completions(lambda line: results[line], cases)


def shlex_quote(text):
    return "'" + text.replace("'", "'\\''") + "'"


# --- building ----------------------------------------------------------------

def case_build_without_node():
    """Configuring memtrack alone (no tests) with node and npm pointing at nothing succeeds, and what the
    build would run compiles the kept viewer/page.c and runs neither node nor npm: a machine with only
    the build dependencies builds memtrack.  (make -n -k lists the commands without running them; it
    cannot go past the links, whose archives a dry run does not make.)"""
    build = fresh("no-node")
    missing = os.path.join(WORK, "no-such-directory")
    run([CMAKE, "-S", SOURCE, "-B", build, "-G", "Unix Makefiles", "-DBUILD_TESTING=OFF",
         f"-DMEMTRACK_NODE={missing}/node", f"-DMEMTRACK_NPM={missing}/npm"], status=0)
    commands = run(["make", "-n", "-k", "-C", build, "all"]).stdout
    expect(os.path.join(SOURCE, "viewer", "page.c") in commands, "the build does not compile viewer/page.c")
    for word in (missing, "build.mjs", "bundle.cmake", "npm ci"):
        expect(word not in commands, f"the build runs {word}")


# --- the Debian package ------------------------------------------------------

def package_of(path):
    """The Debian package that installed PATH, as ldd names it or as its real path (/lib is /usr/lib)."""
    for candidate in (path, os.path.realpath(path)):
        found = run(["dpkg", "-S", candidate])
        if found.returncode == 0:
            return found.stdout.split(":")[0]
    raise Failure(f"no Debian package has {path}")


def case_deb():
    """cpack -G DEB makes a package whose Depends names the package of every library memtrack and
    libmemtrack.so need; unpacked into a scratch root (dpkg-deb -x), its memtrack traces examples/leaky.c
    with its own libmemtrack.so and reports the leak and the double free."""
    packages = fresh("deb")
    run([os.environ.get("CPACK", "cpack"), "-G", "DEB", "-B", packages], status=0, cwd=BUILD)
    debs = [name for name in os.listdir(packages) if name.endswith(".deb")]
    expect(len(debs) == 1, f"cpack wrote {debs}")
    deb = os.path.join(packages, debs[0])
    depends = run(["dpkg-deb", "-f", deb, "Depends"], status=0).stdout.strip()
    depended = {re.match(r"\s*([\w.+-]+)", part).group(1) for part in depends.split(",")}
    root = fresh("root")
    run(["dpkg-deb", "-x", deb, root], status=0)
    memtrack = os.path.join(root, "usr", "bin", "memtrack")
    library = os.path.join(root, "usr", "lib", "memtrack", "libmemtrack.so")
    for binary in (memtrack, library):
        for needed in re.findall(r"NEEDED\s+(\S+)", run(["objdump", "-p", binary], status=0).stdout):
            path = re.search(rf"^\s*{re.escape(needed)} => (\S+)", run(["ldd", binary], status=0).stdout, re.M)
            expect(path, f"ldd does not resolve {needed} of {binary}")
            owner = package_of(path.group(1))
            expect(owner in depended, f"{binary} needs {needed}, from {owner}, which Depends ({depends}) lacks")
    for path in ["usr/share/man/man1/memtrack.1.gz", "usr/share/man/man1/memtrack-run.1.gz",
                 "usr/share/bash-completion/completions/memtrack", "usr/share/zsh/vendor-completions/_memtrack",
                 "usr/share/doc/memtrack/LICENSE", "usr/share/doc/memtrack/THIRD-PARTY",
                 "usr/share/doc/memtrack/copyright",
                 "usr/lib/pkgconfig/memtrack.pc", "usr/lib/cmake/memtrack/memtrackConfigVersion.cmake"]:
        expect(os.path.isfile(os.path.join(root, path)), f"the package lacks /{path}")
    page = run(["man", "-E", "ascii", "-l", os.path.join(root, "usr/share/man/man1/memtrack-run.1.gz")],
               status=0).stdout
    expect("memtrack run" in page, page[:300])

    leaky = os.path.join(WORK, "leaky")
    run([os.environ.get("CC", "cc"), "-g", "-O0", os.path.join(SOURCE, "examples", "leaky.c"), "-o", leaky],
        status=0)
    traced = run([memtrack, "run", "-f", "-o", os.path.join(WORK, "deb.db"), leaky, "x", "one two three two one"],
                 status=0, cwd=WORK)
    expect("double_free" in traced.stderr and "definite 24/1" in traced.stderr, traced.stderr)
    report = run([memtrack, "report", os.path.join(WORK, "deb.db")], status=0).stdout
    expect("are definitely lost" in report and "double free" in report, report)
    maps = run([memtrack, "run", "-f", "-o", os.path.join(WORK, "maps.db"), "cat", "/proc/self/maps"],
               status=0).stdout
    expect(os.path.realpath(library) in maps, f"the unpacked memtrack did not preload {library}:\n{maps}")


if __name__ == "__main__":
    run_named_case(globals())
