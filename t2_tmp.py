import sys, time
from forkspec.frontend import load_spec
from forkspec.session import run, run_z3
from forkspec.engines.symbolic import Options
spec = load_spec(sys.argv[1])
t=time.time(); rz = run_z3(spec, "file", z3_opts=Options(timeout_ms=20000, slots=int(sys.argv[2]) if len(sys.argv)>2 else 16)); print(time.time()-t)
st=rz.exploration.stats; print(st.cut, st.solver)
for r in rz.exploration.results: print(r.check.name, r.verdict, r.reason)
