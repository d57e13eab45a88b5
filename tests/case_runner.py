"""The shared frame of the test scripts that run one named case per ctest test (tests/check/check_cases.py,
tests/install/check_install.py): a case is a function case_NAME of the script; it fails by raising Failure,
which expect() does when a condition does not hold."""
import sys


class Failure(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Failure(message)


def run_named_case(namespace):
    """Runs the case sys.argv[1] among the case_ functions of NAMESPACE (a script's globals()); exits 1 with
    the failure's message when it fails, 2 for an unknown case."""
    cases = {name[len("case_"):]: function for name, function in namespace.items() if name.startswith("case_")}
    if len(sys.argv) != 2 or sys.argv[1] not in cases:
        print(f"usage: {sys.argv[0]} CASE   (one of: {', '.join(cases)})", file=sys.stderr)
        sys.exit(2)
    try:
        cases[sys.argv[1]]()
    except Failure as failure:
        sys.exit(f"FAILED {sys.argv[1]}: {failure}")
    print(f"passed {sys.argv[1]}")
