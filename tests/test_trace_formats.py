"""Counterexamples people can read and run: the text trace, ITF JSON and replay, the
process tree (DOT/SVG), C reproducers run on the real kernel, JUnit XML and SARIF,
`outcomes` with path counts and witnesses, progress lines and Ctrl-C.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import REPO
from forkspec import realrun
from forkspec.cli import main
from forkspec.engines.result import VIOLATED, Witness
from forkspec.frontend import load_spec
from forkspec.kernel.state import shell_status
from forkspec.report import c_repro, dot
from forkspec.session import Options, run
from forkspec.trace import rebuild

VIOLATIONS = REPO / "specs" / "violations"
NEVER_WAITS = VIOLATIONS / "all_reaped_parent_never_waits.c"
ASSERTS = VIOLATIONS / "assert_parent_sees_child_write.c"
DEADLOCK = VIOLATIONS / "no_deadlock_child_pauses.c"


@pytest.fixture
def cli(capsys, monkeypatch):
    """Run the command line in this process: cli("trace", path) -> (exit code, stdout, stderr)."""

    def invoke(*args: str):
        monkeypatch.setattr(sys, "argv", ["forkspec", *map(str, args)])
        with pytest.raises(SystemExit) as e:
            main()
        out = capsys.readouterr()
        return e.value.code, out.out, out.err

    return invoke


# --------------------------------------------------------------------------- text


def test_text_trace_one_line_per_step_then_the_violating_state(cli):
    code, out, _ = cli("trace", NEVER_WAITS)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].endswith("counterexample to all-reaped (3 steps)")
    steps = lines[1:4]
    assert all(s.lstrip().startswith(f"{i}  P0 [1000]") for i, s in enumerate(steps, start=1))
    assert "line 12  if (fork() == 0) {" in steps[0] and "fork() = 1001: new process P0.1 [1001]" in steps[0]
    assert 'exit()' in steps[1] and 'write(1) "parent\\n"' in steps[1]
    assert "exited 0" in steps[2] and "P0.1 [1001] reparented to init" in steps[2]
    assert "init: reaped P0 [1000] (exited 0)" in steps[2]
    assert lines[4].startswith("  state: processes: P0.1 [1001] running")
    assert lines[5] == '         stdout: "parent\\n"'
    assert lines[-1].startswith("  => the last step violates all-reaped: every process waits for all its children")


def test_text_trace_shows_cow_faults_reaps_and_the_failed_assert(cli):
    code, out, _ = cli("trace", ASSERTS)
    assert code == 0
    assert "P0.1: COW fault on page 0x404: frame copied" in out
    assert "3  P0 [1000]    line 20  wait(NULL);         reaped P0.1 [1001] (exited 0)" in out
    assert "assertion `g == 2' failed" in out and "killed by signal 6" in out
    assert out.rstrip().endswith("=> the last step fails an assert()")


def test_a_deadlock_trace_says_where_each_process_is_stuck(cli):
    code, out, _ = cli("trace", DEADLOCK)
    assert code == 0
    assert "P0 [1000] running at line 16 `wait(NULL);`" in out
    assert "P0.1 [1001] running at line 13 `pause();`" in out
    assert "=> stuck: no process can move" in out


def test_check_prints_the_trace_of_each_failing_check(cli, spec_file):
    p = spec_file("/*@forkspec\nproperties: all-reaped\n*/\nif (fork() == 0)\n    _exit(0);\nreturn 0;")
    code, out, _ = cli("check", p)
    assert code == 1
    assert "counterexample to all-reaped (2 steps):" in out
    assert "=> the last step violates all-reaped" in out


# --------------------------------------------------------------------------- ITF and replay


def _bare_ints(v, where="") -> list[str]:
    if isinstance(v, bool):
        return []
    if isinstance(v, (int, float)):
        return [where]
    if isinstance(v, dict):
        return [w for k, x in v.items() if k != "#meta" for w in _bare_ints(x, f"{where}.{k}")]
    if isinstance(v, list):
        return [w for i, x in enumerate(v) for w in _bare_ints(x, f"{where}[{i}]")]
    return []


def test_json_is_an_itf_trace(cli):
    code, out, _ = cli("trace", NEVER_WAITS, "--format", "json")
    assert code == 0
    t = json.loads(out)
    assert set(t) == {"#meta", "vars", "states"}
    meta = t["#meta"]
    assert meta["format"] == "ITF" and meta["tool"] == "forkspec"
    assert meta["mode"] == "file" and meta["check"] == "all-reaped" and meta["status"] == "violation"
    assert meta["options"]["max_procs"] == 32 and meta["source_sha256"]
    assert t["vars"] == ["procs", "frames", "stdout", "stderr", "next_pid", "first_status", "action"]
    assert [s["#meta"]["index"] for s in t["states"]] == [0, 1, 2, 3]
    for s in t["states"]:
        assert set(t["vars"]) <= set(s)
    assert _bare_ints(t["states"]) == []  # every integer is {"#bigint": "..."}
    first, last = t["states"][0], t["states"][-1]
    assert first["action"] == {"tag": "init", "value": {}}
    assert first["procs"]["#map"][0][0] == {"#bigint": "1000"}
    assert first["procs"]["#map"][0][1]["name"] == "P0"
    assert [s["action"]["tag"] for s in t["states"][1:]] == ["fork", "write", "exit"]
    fork = t["states"][1]["action"]["value"]
    assert fork["pid"] == {"#bigint": "1000"} and fork["line"] == {"#bigint": "12"} and fork["process"] == "P0"
    assert fork["events"][0]["tag"] == "fork" and fork["events"][0]["value"]["child"] == {"#bigint": "1001"}
    assert last["stdout"] == "parent\n"
    assert [k["#bigint"] for k, _ in last["procs"]["#map"]] == ["1001"]
    pages = last["procs"]["#map"][0][1]["pages"]
    assert "#map" in pages and {"frame", "writable", "cow", "shared"} <= set(pages["#map"][0][1])


def test_a_saved_trace_replays(cli, tmp_path):
    saved = tmp_path / "t.itf.json"
    assert cli("trace", ASSERTS, "--format", "json", "-o", saved)[0] == 0
    code, out, _ = cli("replay", saved, ASSERTS)
    assert code == 0, out
    assert "replays" in out and "all 4 step(s)" in out and "still a counterexample" in out


def test_replay_fails_loudly_at_the_first_step_the_model_no_longer_produces(cli, tmp_path):
    saved = tmp_path / "t.itf.json"
    assert cli("trace", NEVER_WAITS, "--format", "json", "-o", saved)[0] == 0
    changed = tmp_path / "changed.c"
    changed.write_text(NEVER_WAITS.read_text().replace('printf("parent\\n");', 'printf("PARENT\\n");'))
    code, out, _ = cli("replay", saved, changed)
    assert code == 1
    assert "does NOT replay" in out and "step 1 (P0 [1000] line 12" in out
    assert 'procs[1000].stdout_buffer: the model has "PARENT\\n", the trace "parent\\n"' in out
    # A step by a process that cannot move: the model's offers are listed.
    t = json.loads(saved.read_text())
    t["states"][2]["action"]["value"]["pid"] = {"#bigint": "1005"}
    saved.write_text(json.dumps(t))
    code, out, _ = cli("replay", saved, NEVER_WAITS)
    assert code == 1
    assert "step 2: the trace has ? [1005]" in out and "it offers: P0 [1000] exit()" in out


def test_replay_notices_when_the_end_no_longer_fails(cli, tmp_path, spec_file):
    p = spec_file("int x = fork();\nassert(x != 0);\nwait(NULL);\nreturn 0;")
    saved = tmp_path / "t.itf.json"
    assert cli("trace", p, "--format", "json", "-o", saved)[0] == 0
    t = json.loads(saved.read_text())
    t["#meta"]["check"] = "no-deadlock"
    saved.write_text(json.dumps(t))
    code, out, _ = cli("replay", saved, p)
    assert code == 1 and "no longer fails no-deadlock" in out


@pytest.mark.parametrize("content", ["not json", "{}", '{"vars": [], "states": [{}]}'])
def test_replay_of_a_file_that_is_no_forkspec_trace_exits_2(cli, tmp_path, content):
    bad = tmp_path / "bad.itf.json"
    bad.write_text(content)
    code, out, err = cli("replay", bad, NEVER_WAITS)
    assert code == 2 and out == "" and "bad.itf.json" in err and "Traceback" not in err


# --------------------------------------------------------------------------- the process tree


def test_dot_shows_forks_exits_reaps_and_adoption(cli):
    code, out, _ = cli("trace", NEVER_WAITS, "--format", "dot")
    assert code == 0
    assert out.startswith("digraph forkspec {") and out.rstrip().endswith("}")
    assert 'p1000 -> p1001 [label="fork (step 1)"];' in out
    assert 'p1 -> p1001 [label="adopted (step 3)", style=dashed];' in out
    assert "P0 [1000]\\nstarted by init\\nexited 0 (step 3)\\nreaped by init (step 3)" in out
    assert "P0.1 [1001]\\nrunning at the end" in out


def test_dot_of_a_parent_reaping_its_child(cli):
    code, out, _ = cli("trace", ASSERTS, "--format", "dot")
    assert code == 0
    assert "P0.1 [1001]\\nexited 0 (step 2)\\nreaped by P0 (step 3)" in out
    assert "P0 [1000]\\nstarted by init\\nkilled by signal 6 (step 4)" in out
    assert "adopted" not in out


@pytest.mark.skipif(dot.graphviz() is None, reason="Graphviz's dot is not installed (apt-get install graphviz)")
def test_svg_through_graphviz(cli):
    code, out, _ = cli("trace", NEVER_WAITS, "--format", "svg")
    assert code == 0 and "<svg" in out and "P0.1 [1001]" in out


def test_svg_without_graphviz_exits_2_with_a_clear_message(cli, monkeypatch):
    monkeypatch.setattr(dot, "graphviz", lambda: None)
    code, out, err = cli("trace", NEVER_WAITS, "--format", "svg")
    assert code == 2 and out == ""
    assert "Graphviz" in err and "--format dot" in err


# --------------------------------------------------------------------------- C reproducers

needs_cc = pytest.mark.skipif(realrun.compiler() is None, reason="no C compiler (cc/gcc) on this machine")


def shortest_counterexample(path: Path, mode: str):
    spec = load_spec(path)
    r = run(spec, mode, Options())
    found = [x for x in r.exploration.results if x.verdict == VIOLATED and x.witness is not None]
    t, x = min(((rebuild(r.kernel, r.exploration, x.witness), x) for x in found), key=lambda p: len(p[0]))
    return spec, r, t, x


def build(source: str, where: Path, name: str, strict: bool = True) -> Path:
    """Compile a reproducer; `strict`: not one warning (the runtime's, or a clean spec's)."""
    c = where / f"{name}.c"
    c.write_text(source)
    exe = where / name
    warnings = ["-Wall", "-Werror"] if strict else ["-w"]
    done = subprocess.run([realrun.compiler(), "-std=gnu11", "-O0", *warnings, str(c), "-o", str(exe)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[:3000]
    return exe


def _signals(path: Path) -> bool:
    """Does the program send or catch signals? A signal step cannot be gated: its reproducer is refused."""
    program = load_spec(path).program
    return any(getattr(ins, "name", None) in ("kill", "raise", "signal", "sigaction", "sigprocmask")
               for f in program.functions for ins in f.body)


REPRODUCIBLE = [(p, m) for p in sorted(VIOLATIONS.glob("*.c")) if not load_spec(p).header.inject and not _signals(p)
                for m in load_spec(p).header.modes]


@needs_cc
@pytest.mark.parametrize("path,mode", REPRODUCIBLE, ids=[f"{p.stem}:{m}" for p, m in REPRODUCIBLE])
def test_the_reproducer_of_a_violation_ends_in_the_traces_last_state_every_time(path, mode, tmp_path):
    spec, r, t, x = shortest_counterexample(path, mode)
    exe = build(c_repro.reproducer(t, spec=spec, mode=mode, config=r.kernel.config, check=x.check), tmp_path,
                path.stem)
    final = t.final
    deadlock = x.check.kind == "deadlock"
    for i in range(3 if deadlock else 20):
        o = realrun.run_once(exe, mode, timeout=0.4 if deadlock else 10, perturb=realrun.perturbation(i))
        assert o.timed_out == deadlock, o  # the deadlock really happens; nothing else hangs
        assert o.stdout == final.stdout, (i, o)
        assert o.stderr == final.stderr, (i, o)  # the assertion failure, word for word
        if final.first_status >= 0:
            assert o.exit_status == shell_status(final.first_status), (i, o)


WITNESSED = [("specs/puzzles/item51_wait_returns_each_child.c", "file"),  # which zombie wait reaps first
             ("specs/puzzles/item08_getppid_in_child.c", "tty"),  # getppid before and after reparenting
             ("specs/puzzles/two_forks_pids.c", "file"),  # pid allocation order
             ("specs/seeds/apue_fig8_1.c", "tty")]  # write(2) before stdio output; sleep()


@needs_cc
@pytest.mark.parametrize("path,mode", WITNESSED, ids=[f"{Path(p).stem}:{m}" for p, m in WITNESSED])
def test_reproducers_of_outcome_witnesses_print_exactly_that_outcome(path, mode, tmp_path):
    spec = load_spec(REPO / path)
    r = run(spec, mode, Options())
    witnesses: dict = {}
    for sid in r.exploration.finals:
        witnesses.setdefault(r.kernel.outcome(r.exploration.states[sid]), sid)
    for n, (outcome, sid) in enumerate(list(witnesses.items())[:6]):
        t = rebuild(r.kernel, r.exploration, Witness(sid))
        exe = build(c_repro.reproducer(t, spec=spec, mode=mode, config=r.kernel.config), tmp_path, f"w{n}")
        for i in range(3):
            o = realrun.run_once(exe, mode, timeout=10, perturb=realrun.perturbation(i))
            assert not o.timed_out
            assert (o.stdout, o.stderr, o.exit_status) == (outcome.stdout, outcome.stderr, outcome.exit_status), n


@needs_cc
@pytest.mark.parametrize("seed", [19, 26, 37, 168])  # getppid after reparenting, vfork ends, printf as puts
def test_reproducers_of_generated_programs_print_what_the_model_says(seed, tmp_path):
    from forkspec.gen import from_seed

    src = tmp_path / f"gen{seed}.c"
    src.write_text(from_seed(seed).source())
    spec = load_spec(src)
    made = 0
    for mode in ("file", "tty"):
        r = run(spec, mode, Options())
        witnesses: dict = {}
        for sid in r.exploration.finals:
            witnesses.setdefault(r.kernel.outcome(r.exploration.states[sid]), sid)
        for n, (outcome, sid) in enumerate(list(witnesses.items())[:3]):
            t = rebuild(r.kernel, r.exploration, Witness(sid))
            try:
                text = c_repro.reproducer(t, spec=spec, mode=mode, config=r.kernel.config)
            except c_repro.ReproUnsupported:
                continue
            exe = build(text, tmp_path, f"r{mode}{n}", strict=False)  # generated code has unused variables
            made += 1
            for i in range(2):
                o = realrun.run_once(exe, mode, timeout=10, perturb=realrun.perturbation(i))
                assert (o.stdout, o.stderr, o.exit_status) == (outcome.stdout, outcome.stderr, outcome.exit_status)
    assert made


def test_reproducer_text_is_self_contained_and_names_the_steps():
    spec, r, t, x = shortest_counterexample(NEVER_WAITS, "file")
    src = c_repro.reproducer(t, spec=spec, mode="file", config=r.kernel.config, check=x.check)
    assert src.startswith("/*\n * forkspec reproducer: counterexample to all-reaped")
    assert " *   step 1/3  P0 [1000]  line 12  if (fork() == 0) {" in src
    assert f'#line 1 "{NEVER_WAITS}"' in src
    assert "/* #include <stdio.h>  (included above) */" in src


def test_a_trace_on_a_broken_kernel_has_no_reproducer(cli):
    code, out, err = cli("trace", VIOLATIONS / "pid_unique_injected_reuse.c", "--format", "c")
    assert code == 2 and out == ""
    assert "deliberately broken kernel (inject: pid-reuse)" in err


def test_a_step_racing_on_shared_memory_is_refused(spec_file):
    p = spec_file("""
        int *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (fork() == 0) {
            *sh = 1;
            _exit(0);
        }
        *sh = 2;
        wait(NULL);
        printf("%d\\n", *sh);
        return 0;
    """)
    spec = load_spec(p)
    r = run(spec, "file", Options())
    sid = next(s for s in r.exploration.finals if r.exploration.states[s].stdout == "2\n")
    t = rebuild(r.kernel, r.exploration, Witness(sid))
    with pytest.raises(c_repro.ReproUnsupported, match="shares, which the reproducer cannot order"):
        c_repro.reproducer(t, spec=spec, mode="file", config=r.kernel.config)


# --------------------------------------------------------------------------- JUnit XML and SARIF

FAILING = """
/*@forkspec
modes: file
forall stdout == "nope"
properties: all-reaped
*/
#include <stdio.h>
#include <unistd.h>
#include <assert.h>
int main(void) {
    pid_t p = fork();
    if (p == 0) {
        printf("child\\n");
        return 0;
    }
    assert(p == 0);
    return 0;
}
"""


def test_junit_xml_one_case_per_check_failures_carry_the_trace(cli, spec_file, tmp_path):
    p = spec_file(FAILING, "failing.c")
    report = tmp_path / "junit.xml"
    code, _, _ = cli("check", p, NEVER_WAITS, "--junit-xml", report)
    assert code == 1
    root = ET.parse(report).getroot()
    assert root.tag == "testsuites" and root.get("tests") == "9" and root.get("failures") == "3"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [f"{p} [stdout=file]", f"{NEVER_WAITS} [stdout=file]"]
    cases = {c.get("name"): c for c in suites[0].findall("testcase")}
    assert set(cases) == {"assert [file]", 'forall stdout == "nope" [file]', "all-reaped [file]", "no-deadlock [file]"}
    failure = cases["all-reaped [file]"].find("failure")
    assert "counterexample to all-reaped (2 steps)" in failure.text and "P0 [1000]" in failure.text
    assert cases['forall stdout == "nope" [file]'].get("line") == "3"
    assert cases["no-deadlock [file]"].find("failure") is None
    assert all(c.find("failure") is None for c in suites[1].findall("testcase"))  # expected violations pass


# The parts of the SARIF 2.1.0 schema a code-scanning upload relies on.
SARIF_SCHEMA = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "$schema": {"type": "string"},
        "runs": {"type": "array", "items": {
            "type": "object",
            "required": ["tool"],
            "properties": {
                "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {
                    "type": "object", "required": ["name"],
                    "properties": {"name": {"type": "string"}, "version": {"type": "string"},
                                   "rules": {"type": "array", "items": {
                                       "type": "object", "required": ["id"],
                                       "properties": {"id": {"type": "string"},
                                                      "shortDescription": {"$ref": "#/$defs/message"}}}}}}}},
                "results": {"type": "array", "items": {
                    "type": "object",
                    "required": ["message"],
                    "properties": {
                        "ruleId": {"type": "string"},
                        "ruleIndex": {"type": "integer", "minimum": -1},
                        "kind": {"enum": ["notApplicable", "pass", "fail", "review", "open", "informational"]},
                        "level": {"enum": ["none", "note", "warning", "error"]},
                        "message": {"$ref": "#/$defs/message"},
                        "locations": {"type": "array", "items": {"$ref": "#/$defs/location"}},
                        "codeFlows": {"type": "array", "items": {
                            "type": "object", "required": ["threadFlows"],
                            "properties": {"threadFlows": {"type": "array", "minItems": 1, "items": {
                                "type": "object", "required": ["locations"],
                                "properties": {"locations": {"type": "array", "minItems": 1, "items": {
                                    "type": "object",
                                    "properties": {"location": {"$ref": "#/$defs/location"},
                                                   "executionOrder": {"type": "integer", "minimum": -1}}}}}}}}}},
                    }}},
            }}},
    },
    "$defs": {
        "message": {"type": "object", "anyOf": [{"required": ["text"]}, {"required": ["id"]}],
                    "properties": {"text": {"type": "string"}}},
        "location": {"type": "object", "properties": {
            "message": {"$ref": "#/$defs/message"},
            "physicalLocation": {"type": "object", "required": ["artifactLocation"], "properties": {
                "artifactLocation": {"type": "object", "properties": {"uri": {"type": "string"},
                                                                      "uriBaseId": {"type": "string"}}},
                "region": {"type": "object", "properties": {"startLine": {"type": "integer", "minimum": 1},
                                                            "startColumn": {"type": "integer", "minimum": 1}}}}}}},
    },
}


def test_sarif_locates_each_failure_at_its_source_line(cli, spec_file, tmp_path, monkeypatch):
    p = spec_file(FAILING, "failing.c")
    monkeypatch.chdir(p.parent)
    log = tmp_path / "out.sarif"
    code, _, _ = cli("check", "failing.c", "--sarif", log)
    assert code == 1
    sarif = json.loads(log.read_text())
    try:
        import jsonschema
    except ImportError:
        jsonschema = None
    if jsonschema is not None:
        jsonschema.validate(sarif, SARIF_SCHEMA)
    assert sarif["version"] == "2.1.0" and len(sarif["runs"]) == 1
    run_ = sarif["runs"][0]
    assert run_["tool"]["driver"]["name"] == "forkspec"
    rules = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    where = {}
    for res in run_["results"]:
        assert rules[res["ruleIndex"]] == res["ruleId"]
        assert res["kind"] == "fail" and res["level"] == "error"
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"] == {"uri": "failing.c", "uriBaseId": "%SRCROOT%"}
        where[res["ruleId"]] = loc["region"]["startLine"]
    assert where == {"assert": 15, 'forall stdout == "nope"': 3, "all-reaped": 15}
    flow = next(r for r in run_["results"] if r["ruleId"] == "all-reaped")["codeFlows"][0]["threadFlows"][0]
    assert [loc["location"]["physicalLocation"]["region"]["startLine"] for loc in flow["locations"]] == [10, 15]


def test_sarif_of_a_clean_run_has_no_results(cli, tmp_path):
    log = tmp_path / "out.sarif"
    assert cli("check", REPO / "specs" / "seeds" / "fork_returns_twice.c", "--sarif", log)[0] == 0
    assert json.loads(log.read_text())["runs"][0]["results"] == []


# --------------------------------------------------------------------------- outcomes


def test_outcomes_counts_paths_and_gives_a_witness(cli):
    code, out, _ = cli("outcomes", REPO / "specs/puzzles/item51_wait_returns_each_child.c", "--stdout", "file",
                       "--witness", "2")
    assert code == 0
    assert "Outcomes 6" in out
    rows = re.findall(r"^ +(\d+): (\d+) paths?  stdout=(\".*?\");", out, re.M)
    assert [int(i) for i, _, _ in rows] == [1, 2, 3, 4, 5, 6]
    assert all(int(n) >= 1 for _, n, _ in rows)
    witness = out[out.index("witness for outcome 2"):]
    assert f"stdout: {rows[1][2]}" in witness  # the witness ends in outcome 2


def test_outcome_path_counts_are_the_interleavings(cli, spec_file):
    # The child writes "b" then exits; P0 writes "a" then waits for it. Orders of the three
    # steps with b before the child's exit: b-exit-a and b-a-exit print "ba", a-b-exit "ab".
    p = spec_file('if (fork() == 0) {\n    write(1, "b", 1);\n    _exit(0);\n}\nwrite(1, "a", 1);\nwait(NULL);\nreturn 0;')
    code, out, _ = cli("outcomes", p, "--json")
    assert code == 0
    paths = {o["stdout"]: o["paths"] for o in json.loads(out)["outcomes"]}
    assert paths == {"ba": 2, "ab": 1}


def test_outcomes_says_at_least_when_the_state_graph_has_cycles(cli, spec_file):
    p = spec_file("if (fork() == 0)\n    _exit(3);\nwhile (waitpid(-1, NULL, WNOHANG) == 0)\n    ;\nreturn 0;")
    code, out, _ = cli("outcomes", p)
    assert code == 0
    assert "Outcomes 1" in out and "(at least) path" in out


# --------------------------------------------------------------------------- progress and Ctrl-C


def test_progress_lines_only_when_asked_for_on_a_pipe(cli):
    _, _, err = cli("check", NEVER_WAITS, "--progress")
    assert "Progress(" in err and "states generated" in err and "distinct" in err and "on queue" in err
    assert "states/s" in err
    assert cli("check", NEVER_WAITS)[2] == ""  # stderr is not a terminal here
    assert cli("check", NEVER_WAITS, "--quiet")[2] == ""


HEAVY = REPO / "benchmarks" / "workloads" / "and_or_fork_plus_one.c"


def test_ctrl_c_stops_cleanly_with_an_inconclusive_verdict_and_the_figures(tmp_path):
    env = dict(os.environ)
    env.pop("FORKSPEC_DEBUG", None)
    proc = subprocess.Popen([sys.executable, "-m", "forkspec", "check", str(HEAVY), "--stdout", "file",
                             "--junit-xml", str(tmp_path / "j.xml")], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, (out, err)
    assert "Traceback" not in err
    assert "inconclusive (interrupted by the user)" in out
    assert "search incomplete: interrupted by the user" in out
    assert "left on queue" in out and "states generated" in out
    assert "interrupted: the verdicts not yet reached are inconclusive" in out
    assert ET.parse(tmp_path / "j.xml").getroot().get("errors") != "0"


def test_the_readme_shows_the_trace_the_tool_prints(cli, monkeypatch):
    readme = (REPO / "README.md").read_text()
    command = "$ forkspec trace specs/violations/all_reaped_parent_never_waits.c\n"
    shown = readme[readme.index(command) + len(command):]
    shown = shown[:shown.index("```")]
    monkeypatch.chdir(REPO)
    code, out, _ = cli("trace", "specs/violations/all_reaped_parent_never_waits.c")
    assert code == 0
    assert out == shown
