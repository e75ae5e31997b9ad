"""The command line as a user runs it: `python -m forkspec ...` on temp files.

Exit codes are a contract: 0 all hold, 1 a violation (trace printed), 2 bad input,
3 inconclusive. Bad input gives one clear `file:line:col` message and never a traceback.
"""
from __future__ import annotations

import json
import re
import tomllib

import pytest

from conftest import REPO, forkspec_cli

WAITS = """
if (fork() == 0)
    _exit(0);
wait(NULL);
return 0;
"""

NEVER_WAITS = """
if (fork() == 0)
    _exit(0);
return 0;
"""

HELLO_BYE = """
/*@forkspec
description: the stdio buffer is copied by fork
modes: tty file
forall [file] stdout == "hello\\nbye\\nhello\\nbye\\n"
forall [tty] stdout == "hello\\nbye\\nbye\\n"
forall processes == 2 and exit_status == 0
properties: all-reaped pid-unique
*/
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void)
{
    printf("hello\\n");
    fork();
    printf("bye\\n");
    while (wait(NULL) > 0)
        ;
    return 0;
}
"""

# enough states that --max-states 5 cuts the search short
BUSY = """
fork();
fork();
printf("x\\n");
while (wait(NULL) > 0)
    ;
return 0;
"""


def assert_one_clean_error(proc, where: str | None = None, *words: str, quiet_stdout: bool = True) -> str:
    """Exit 2, one message on stderr (naming `where` as file:line:col when given), no traceback."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    err = proc.stderr.strip()
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "internal error" not in err
    assert err, "no message on stderr"
    if quiet_stdout:
        assert proc.stdout == ""
    headers = [line for line in err.splitlines() if re.search(r"\b(error|unsupported)\b", line)]
    assert len(headers) == 1, err
    if where is not None:
        assert re.match(re.escape(where) + r":\d+:\d+: (error|unsupported|model error): ", err), err
    for w in words:
        assert w in err, (w, err)
    return err


# --------------------------------------------------------------------------- check: exit codes


def test_check_exits_0_when_everything_holds(spec_file):
    p = spec_file(HELLO_BYE)
    r = forkspec_cli("check", str(p))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "FAIL" not in r.stdout
    assert "[stdout=tty]" in r.stdout and "[stdout=file]" in r.stdout  # the spec's modes


def test_check_exits_1_on_a_violation_and_prints_the_trace(spec_file):
    p = spec_file(NEVER_WAITS)
    r = forkspec_cli("check", str(p), "--property", "all-reaped")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "VIOLATED" in r.stdout
    assert "counterexample to all-reaped" in r.stdout
    assert "fork() = 1001" in r.stdout and "reparented to init" in r.stdout


def test_check_exits_1_on_a_failed_expectation(spec_file):
    p = spec_file(HELLO_BYE.replace('forall [tty] stdout == "hello\\nbye\\nbye\\n"',
                                    'forall [tty] stdout == "hello\\nbye\\nhello\\nbye\\n"'))
    r = forkspec_cli("check", str(p))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "counterexample to forall stdout == " in r.stdout
    assert "[stdout=tty]" in r.stdout


def test_check_exits_1_on_a_failed_assert(spec_file):
    p = spec_file("pid_t p = fork();\nassert(p != 0);\nwait(NULL);\nreturn 0;")
    r = forkspec_cli("check", str(p))
    assert r.returncode == 1
    assert "counterexample to assert" in r.stdout
    assert "assertion `p != 0' failed" in r.stdout


def test_check_exits_0_when_an_expected_violation_happens(spec_file):
    p = spec_file("/*@forkspec\nviolates: all-reaped\n*/\n" + _main(NEVER_WAITS))
    r = forkspec_cli("check", str(p))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "violated, as expected" in r.stdout


def test_check_exits_1_when_an_expected_violation_does_not_happen(spec_file):
    p = spec_file("/*@forkspec\nviolates: all-reaped\n*/\n" + _main(WAITS))
    r = forkspec_cli("check", str(p))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "HOLDS, but a violation was expected" in r.stdout


def test_check_exits_3_when_the_state_limit_cuts_the_search(spec_file):
    p = spec_file(BUSY)
    r = forkspec_cli("check", str(p), "--max-states", "5")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "inconclusive" in r.stdout
    assert "state limit 5 reached" in r.stdout
    # the same spec without the limit is fine
    assert forkspec_cli("check", str(p)).returncode == 0


def test_check_violation_wins_over_inconclusive(spec_file):
    # a violation found before the limit is a definite answer
    p = spec_file("pid_t p = fork();\nassert(p != 0);\nfork();\nfork();\nwhile (wait(NULL) > 0)\n    ;\nreturn 0;")
    r = forkspec_cli("check", str(p), "--max-states", "20")
    assert r.returncode == 1, r.stdout + r.stderr


def test_check_without_reductions_gives_the_same_exit_codes(spec_file):
    for src, prop, code in ((WAITS, "all-reaped", 0), (NEVER_WAITS, "all-reaped", 1), (HELLO_BYE, "pid-unique", 0)):
        p = spec_file(src)
        assert forkspec_cli("check", str(p), "--property", prop).returncode == code
        r = forkspec_cli("check", str(p), "--property", prop, "--no-reduction")
        assert r.returncode == code, r.stdout + r.stderr


def test_check_json(spec_file):
    p = spec_file(NEVER_WAITS)
    r = forkspec_cli("check", str(p), "--property", "all-reaped", "--json")
    assert r.returncode == 1
    data = json.loads(r.stdout)
    assert data["passed"] is False
    (run,) = data["runs"]
    checks = {c["name"]: c for c in run["checks"]}
    assert checks["all-reaped"]["verdict"] == "violated"
    assert checks["all-reaped"]["trace"]
    assert checks["no-deadlock"]["verdict"] == "holds"
    assert checks["no-deadlock"]["trace"] is None


def test_check_several_specs_and_a_directory(spec_file, tmp_path):
    a = spec_file(WAITS, "a.c")
    spec_file(NEVER_WAITS, "b.c")
    r = forkspec_cli("check", str(a))
    assert r.returncode == 0
    r = forkspec_cli("check", str(tmp_path), "--property", "all-reaped")
    assert r.returncode == 1
    assert "2 run(s) of 2 spec(s)" in r.stdout


def test_check_stdout_option_overrides_the_spec_modes(spec_file):
    p = spec_file(HELLO_BYE)
    r = forkspec_cli("check", str(p), "--stdout", "pipe")
    assert r.returncode == 0
    assert "[stdout=pipe]" in r.stdout and "[stdout=tty]" not in r.stdout


# --------------------------------------------------------------------------- bad input: exit 2, one message


def _main(body: str) -> str:
    from conftest import program

    return program(body)


BAD_C = {
    "syntax error": ("int main(void)\n{\n    int x = ;\n    return 0;\n}\n", 3, ()),
    "struct": ("struct point { int x; };\nint main(void)\n{\n    return 0;\n}\n", 1, ("struct",)),
    "float": ("int main(void)\n{\n    float f = 1;\n    return 0;\n}\n", 3, ("float",)),
    "function-like define": ("#define SQ(x) ((x)*(x))\nint main(void) { return 0; }\n", 1, ("SQ",)),
    "ifdef": ("#ifdef FOO\n#endif\nint main(void) { return 0; }\n", 1, ("#ifdef",)),
    "unknown function": ('#include <stdio.h>\nint main(void)\n{\n    popen("ls", "r");\n    return 0;\n}\n', 4,
                         ("popen",)),
    "no main": ("int f(void) { return 0; }\n", 1, ("main",)),
    "malformed spec line": ("/*@forkspec\nmodes: file\nthis line is not a directive\n*/\n"
                            "int main(void) { return 0; }\n", 3, ("this line is not a directive",)),
    "unknown mode in [..]": ("/*@forkspec\nforall [file,disk] exit_status == 0\n*/\nint main(void) { return 0; }\n", 2,
                             ("disk", "tty, file, pipe")),
    "unknown spec key": ("/*@forkspec\nmode: file\n*/\nint main(void) { return 0; }\n", 2, ("mode",)),
    "unknown mode": ("/*@forkspec\nmodes: file disk\n*/\nint main(void) { return 0; }\n", 2, ("disk",)),
    "bad condition": ("/*@forkspec\nforall stdout ==\n*/\nint main(void) { return 0; }\n", 2, ()),
    "unknown name in condition": ("/*@forkspec\nforall stdot == \"\"\n*/\nint main(void) { return 0; }\n", 2,
                                  ("stdot",)),
    "unknown property in the spec": ("/*@forkspec\nproperties: all-reapd\n*/\nint main(void) { return 0; }\n", 2,
                                     ("all-reapd", "all-reaped")),
    "unknown violates": ("/*@forkspec\nviolates: nonesuch\n*/\nint main(void) { return 0; }\n", 2, ("nonesuch",)),
    "two spec blocks": ("/*@forkspec\nmodes: file\n*/\n/*@forkspec\nmodes: tty\n*/\nint main(void) { return 0; }\n",
                        4, ()),
    "undeclared variable": ("int main(void)\n{\n    y = 1;\n    return 0;\n}\n", 3, ("y",)),
    "printf argument count": ('int main(void)\n{\n    printf("%d %d\\n", 1);\n    return 0;\n}\n', 3, ()),
}


@pytest.mark.parametrize("name", list(BAD_C))
@pytest.mark.parametrize("command", ["check", "outcomes", "trace"])
def test_bad_input_exits_2_with_one_message_at_file_line_col(tmp_path, name, command):
    text, line, words = BAD_C[name]
    p = tmp_path / "bad.c"
    p.write_text(text)
    r = forkspec_cli(command, str(p))
    err = assert_one_clean_error(r, str(p), *words)
    assert err.startswith(f"{p}:{line}:"), err


def test_unterminated_string_is_reported_at_its_opening_quote(tmp_path):
    p = tmp_path / "bad.c"
    p.write_text('int main(void) { printf("abc); return 0; }\n')
    err = assert_one_clean_error(forkspec_cli("check", str(p)), str(p))
    assert err.startswith(f"{p}:1:25:"), err


def test_unknown_property_on_the_command_line_suggests_a_close_name(spec_file):
    p = spec_file(WAITS)
    err = assert_one_clean_error(forkspec_cli("check", str(p), "--property", "all-reapd"), None,
                                 "all-reapd", "did you mean 'all-reaped'")
    assert "unknown property" in err
    err = assert_one_clean_error(forkspec_cli("trace", str(p), "--property", "no-deadlok"), None,
                                 "did you mean 'no-deadlock'")
    err = assert_one_clean_error(forkspec_cli("check", str(p), "--property", "xyzzy"), None, "xyzzy")
    assert "did you mean" not in err


@pytest.mark.parametrize("command", ["check", "outcomes", "trace", "conform"])
def test_missing_file_exits_2(tmp_path, command):
    missing = tmp_path / "nope.c"
    assert_one_clean_error(forkspec_cli(command, str(missing)), None, str(missing))


def test_directory_without_specs_exits_2(tmp_path):
    assert_one_clean_error(forkspec_cli("check", str(tmp_path)), None, "no .c spec files")


def test_bad_options_exit_2(spec_file):
    p = spec_file(WAITS)
    for args in (["check", str(p), "--stdout", "disk"], ["frobnicate"], ["check", str(p), "--max-states", "0"],
                 ["outcomes", str(p), "--stdout", "printer"]):
        r = forkspec_cli(*args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr


def test_a_program_error_at_run_time_is_reported_not_crashed(spec_file):
    # an out-of-bounds write into a char array: a model error with a location, exit 2
    p = spec_file('char s[4] = "abc";\nint i = 7;\ns[i] = \'x\';\nreturn 0;')
    r = forkspec_cli("check", str(p))
    assert_one_clean_error(r, str(p), "bounds")


def test_pointer_arithmetic_on_a_string_is_a_clear_model_error_not_an_internal_one(spec_file):
    p = spec_file('char *s = "hello";\nchar *t = s + 1;\nprintf("%s", t);\nreturn 0;')
    r = forkspec_cli("check", str(p))
    assert_one_clean_error(r, str(p), "pointer arithmetic")


# --------------------------------------------------------------------------- properties


def test_properties_lists_every_property_of_the_library():
    r = forkspec_cli("properties")
    assert r.returncode == 0, r.stderr
    with open(REPO / "properties" / "core.toml", "rb") as f:
        core = tomllib.load(f)
    assert {"no-shared-writable-page", "cow-isolation", "pid-unique", "orphans-reparented", "all-reaped",
            "atexit-reverse-order", "no-deadlock"} <= set(core)
    listed = {line.split()[0]: line.split(None, 1)[1].strip() for line in r.stdout.splitlines() if line.strip()}
    for name, table in core.items():
        assert listed[name] == table["description"]
    assert set(core) <= set(listed)


def test_properties_json():
    r = forkspec_cli("properties", "--json")
    assert r.returncode == 0
    data = {p["name"]: p for p in json.loads(r.stdout)}
    assert {"no-shared-writable-page", "cow-isolation", "pid-unique", "orphans-reparented", "all-reaped",
            "atexit-reverse-order", "no-deadlock"} <= set(data)
    assert data["no-deadlock"]["kind"] == "deadlock"
    assert data["pid-unique"]["kind"] == "invariant"
    assert data["all-reaped"]["kind"] == "step"


def test_properties_from_a_user_file(tmp_path, spec_file):
    extra = tmp_path / "mine.toml"
    extra.write_text('[at-most-two]\ndescription = "at most two processes exist at once"\nkind = "invariant"\n'
                     'holds = "len(processes) <= 2"\n')
    r = forkspec_cli("properties", "--props", str(extra))
    assert r.returncode == 0
    assert "at-most-two" in r.stdout
    p = spec_file("fork();\nfork();\nwhile (wait(NULL) > 0)\n    ;\nreturn 0;")
    r = forkspec_cli("check", str(p), "--props", str(extra), "--property", "at-most-two")
    assert r.returncode == 1, r.stdout + r.stderr
    p2 = spec_file(WAITS, "two.c")
    assert forkspec_cli("check", str(p2), "--props", str(extra), "--property", "at-most-two").returncode == 0


def test_a_malformed_property_file_exits_2(tmp_path, spec_file):
    extra = tmp_path / "bad.toml"
    extra.write_text('[broken]\ndescription = "x"\nkind = "invariant"\nholds = "len(processes) <="\n')
    p = spec_file(WAITS)
    assert_one_clean_error(forkspec_cli("check", str(p), "--props", str(extra)), str(extra))


# --------------------------------------------------------------------------- outcomes


def test_outcomes_json(spec_file):
    p = spec_file(HELLO_BYE)
    r = forkspec_cli("outcomes", str(p), "--json", "--stdout", "file")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert {"complete", "states", "outcomes"} <= set(data)
    assert data["complete"] is True
    assert isinstance(data["states"], int) and data["states"] > 0
    assert [(o["stdout"], o["exit_status"], o["processes"]) for o in data["outcomes"]] == [
        ("hello\nbye\nhello\nbye\n", 0, 2)]


def test_outcomes_json_lists_every_outcome_once(spec_file):
    src = """
    if (fork() == 0) {
        write(1, "c", 1);
        exit(3);
    }
    write(1, "p", 1);
    int s;
    wait(&s);
    return WEXITSTATUS(s);
    """
    r = forkspec_cli("outcomes", str(spec_file(src)), "--json")
    assert r.returncode == 0
    data = json.loads(r.stdout)
    got = sorted((o["stdout"], o["exit_status"], o["processes"]) for o in data["outcomes"])
    assert got == [("cp", 3, 2), ("pc", 3, 2)]


def test_outcomes_text_and_witness(spec_file):
    p = spec_file(HELLO_BYE)
    r = forkspec_cli("outcomes", str(p), "--stdout", "tty", "--witness", "1")
    assert r.returncode == 0, r.stderr
    assert 'stdout="hello\\nbye\\nbye\\n"' in r.stdout
    assert "witness for outcome 1" in r.stdout
    r = forkspec_cli("outcomes", str(p), "--witness", "9")
    assert_one_clean_error(r, None, "only 1 outcomes", quiet_stdout=False)


def test_outcomes_exits_3_when_incomplete(spec_file):
    p = spec_file(BUSY)
    r = forkspec_cli("outcomes", str(p), "--max-states", "5", "--json")
    assert r.returncode == 3
    assert json.loads(r.stdout)["complete"] is False


# --------------------------------------------------------------------------- trace


def test_trace_all_reaped_on_a_parent_that_never_waits(spec_file):
    p = spec_file(NEVER_WAITS)
    r = forkspec_cli("trace", str(p), "--property", "all-reaped")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "counterexample to all-reaped (2 steps)" in r.stdout
    assert "fork() = 1001" in r.stdout
    assert "reparented to init" in r.stdout


def test_trace_all_reaped_on_a_parent_that_waits_finds_nothing(spec_file):
    p = spec_file(WAITS)
    r = forkspec_cli("trace", str(p), "--property", "all-reaped")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "no counterexample to all-reaped" in r.stdout


def test_trace_with_output_in_it(spec_file):
    p = spec_file('write(1, "hi\\n", 3);\nprintf("buffered\\n");\nif (fork() == 0)\n    exit(0);\nreturn 0;')
    r = forkspec_cli("trace", str(p), "--property", "all-reaped")
    assert r.returncode == 0, r.stdout + r.stderr
    assert 'write(1) "hi\\n"' in r.stdout


def test_trace_json(spec_file):
    p = spec_file(NEVER_WAITS)
    r = forkspec_cli("trace", str(p), "--property", "all-reaped", "--format", "json")
    assert r.returncode == 0
    data = json.loads(r.stdout)  # an ITF trace: the initial state, then one state per step
    assert data["#meta"]["format"] == "ITF" and data["#meta"]["check"] == "all-reaped"
    assert [s["#meta"]["index"] for s in data["states"]] == [0, 1, 2]
    r = forkspec_cli("trace", str(spec_file(WAITS, "w.c")), "--property", "all-reaped", "--format", "json")
    assert r.returncode == 1
    assert json.loads(r.stdout)["found"] is False


def test_trace_without_a_property_refutes_the_first_failing_check(spec_file):
    p = spec_file("pid_t p = fork();\nassert(p != 0);\nwait(NULL);\nreturn 0;")
    r = forkspec_cli("trace", str(p))
    assert r.returncode == 0
    assert "counterexample to assert" in r.stdout
    r = forkspec_cli("trace", str(spec_file(WAITS, "w.c")))
    assert r.returncode == 1


def test_trace_exits_3_when_incomplete(spec_file):
    p = spec_file(BUSY)
    r = forkspec_cli("trace", str(p), "--property", "all-reaped", "--max-states", "5")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "search incomplete" in r.stdout


def test_trace_of_a_deadlock(spec_file):
    p = spec_file("if (fork() == 0)\n    pause();\nwait(NULL);\nreturn 0;")
    r = forkspec_cli("trace", str(p), "--property", "no-deadlock")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "counterexample to no-deadlock" in r.stdout


def test_version_and_help():
    assert forkspec_cli("--help").returncode == 0
    r = forkspec_cli("--version")
    assert r.returncode == 0 and "version" in r.stdout
