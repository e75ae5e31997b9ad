import sys, time, z3
from forkspec.engines.symbolic import bmc
orig = bmc._Search.find
def find(self, *goal, **kw):
    t=time.time()
    try:
        r = orig(self, *goal, **kw)
        print(f"  q{self.figures.queries} bound {len(self.enc.steps)} {'sat' if r is not None else 'unsat'} {time.time()-t:.2f}s", flush=True)
        return r
    except Exception as e:
        print("  exc", e, time.time()-t); raise
bmc._Search.find = find
exec(open('t2_tmp.py').read())
