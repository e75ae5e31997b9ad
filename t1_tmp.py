import sys, time
from forkspec.frontend import load_spec
from forkspec.session import run, run_z3, modes_for
for path in sys.argv[1:]:
    spec = load_spec(path)
    for m in modes_for(spec, None):
        t=time.time(); rb = run(spec, m); tb=time.time()-t
        t=time.time(); rz = run_z3(spec, m); tz=time.time()-t
        print(path, m, f"bfs {tb:.2f}s z3 {tz:.2f}s", rz.exploration.stats.cut, getattr(rz.exploration.stats.solver,'threshold',None))
        for a, b in zip(rb.exploration.results, rz.exploration.results):
            flag = "" if a.verdict == b.verdict else ("  <-- DIFF" if b.verdict != "inconclusive" else "  (inc)")
            print("   ", a.check.name[:60].ljust(60), a.verdict, b.verdict, b.reason[:80] if b.reason else "", flag)
