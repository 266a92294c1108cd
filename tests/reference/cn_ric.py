"""The verdicts of two independent checkers of Chinese resident ID numbers, for the
differential test of kaowu's (tests/cli/id_reference.rs): python-stdnum's stdnum.cn.ric and
id-validator's id_validator.validator, each number on its line of standard input, each
verdict on its line of standard output: two fields, 1 (valid), 0 (not valid) or - (that
checker is not installed). The first line says which versions answered.

    pip install python-stdnum==2.2 id-validator==1.0.20
    python3 tests/reference/cn_ric.py < numbers.txt
"""

import functools
import sys


def load_stdnum():
    try:
        import stdnum
        from stdnum.cn import ric
    except ImportError:
        return None, "-"
    return ric.is_valid, stdnum.__version__


def load_id_validator():
    try:
        from importlib.metadata import version

        from id_validator import data, validator
    except ImportError:
        return None, "-"
    # Its tables are dictionary literals built anew on every call (several per number);
    # built once, the verdicts are the same and 20,000 numbers take seconds, not minutes.
    for name in (
        "get_address_code",
        "get_address_code_timeline",
        "get_additional_address_code_timeline",
    ):
        setattr(data, name, functools.lru_cache(maxsize=None)(getattr(data, name)))
    return validator.is_valid, version("id-validator")


def verdict(check, number):
    if check is None:
        return "-"
    try:
        return "1" if check(number) else "0"
    except Exception:  # a checker that raises on odd input says: not valid
        return "0"


def main():
    stdnum_valid, stdnum_version = load_stdnum()
    idv_valid, idv_version = load_id_validator()
    out = [f"# python-stdnum {stdnum_version} id-validator {idv_version}"]
    for line in sys.stdin:
        number = line.rstrip("\n")
        out.append(f"{verdict(stdnum_valid, number)} {verdict(idv_valid, number)}")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
