import sys, time, z3
from forkspec.engines.symbolic import bmc
def extend(self):
    if not hasattr(self, 'cons'): self.cons = []
    self.cons.extend(self.enc.unroll())
def find(self, *goal, limit_ms=None):
    s = z3.SolverFor("QF_BV")
    s.set("timeout", limit_ms or self.timeout_ms)
    s.add(*self.cons); s.add(*goal)
    t=time.time()
    a = s.check()
    self.figures.solver_seconds += time.time()-t
    self.figures.queries += 1
    print(f"  q{self.figures.queries} bound {len(self.enc.steps)} {a} {time.time()-t:.2f}s", flush=True)
    if a == z3.unknown:
        if limit_ms is not None: return None
        raise bmc.Unknown(s.reason_unknown())
    return s.model() if a == z3.sat else None
bmc._Search.extend = extend
bmc._Search.find = find
bmc._Search.statistics = lambda self: {}
exec(open('t2_tmp.py').read())
