"""The shared frame of the test scripts that run one named case per ctest test (tests/check/check_cases.py,
tests/install/check_install.py): a case is a function case_NAME of the script; it fails by raising Failure,
which expect() does when a condition does not hold (both are the end-to-end scripts', tests/e2e/e2e_lib.py)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "e2e"))
from e2e_lib import CaseFailure as Failure, expect  # noqa: E402,F401  (one failure and expect for every script)


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
