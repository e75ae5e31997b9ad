import sys, time, glob, signal
from forkspec.frontend import load_spec
from forkspec.session import run, run_z3, modes_for
from forkspec.engines.symbolic import Options
for path in sorted(glob.glob('specs/**/*.c', recursive=True)):
    spec = load_spec(path)
    for m in modes_for(spec, None):
        if m == 'tty': continue
        rb = run(spec, m)
        t=time.time(); rz = run_z3(spec, m, z3_opts=Options(timeout_ms=10000, max_bound=60)); tz=time.time()-t
        diffs = [(a.check.name, a.verdict, b.verdict) for a, b in zip(rb.exploration.results, rz.exploration.results) if a.verdict != b.verdict and b.verdict != 'inconclusive']
        inc = [b.reason for b in rz.exploration.results if b.verdict == 'inconclusive']
        print(f"{path} [{m}] z3 {tz:.1f}s  decided {sum(b.verdict!='inconclusive' for b in rz.exploration.results)}/{len(rz.exploration.results)}", "DIFF "+str(diffs) if diffs else "", (inc[0][:90] if inc else ""), flush=True)
