import sys, time, z3
from forkspec.engines.symbolic import bmc
orig = bmc._Search.__init__
def init(self, enc, opts, figures):
    orig(self, enc, opts, figures)
    self.solver = z3.SolverFor(sys.argv[2]) if sys.argv[2] != 'tactic' else z3.Then('simplify','propagate-values','solve-eqs','smt').solver()
    self.solver.set("timeout", 20000)
bmc._Search.__init__ = init
exec(open('t2_tmp.py').read())
